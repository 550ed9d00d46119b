/**
 * Streaming base64 (RFC 2045 §6.8) for S/MIME bodies and attachments of any size. The codec work is
 * done by Buffer's native base64; this module keeps the 3-byte / 4-character carry between chunks,
 * lays out 76-character CRLF lines and checks what it decodes.
 *
 * Why not simply Buffer.toString('base64') per line, or a JS loop: on these machines a native call
 * per 76-character line (toString, copy, copyWithin) costs ~50–80 ns, which caps the layout near
 * 300–1,000 MB/s, and a byte-by-byte JS loop runs at ~1 GB/s at best. The encoder therefore encodes
 * ~1,000 lines in one native call and lets a 60-byte WebAssembly routine insert the CRLFs (one
 * memory.copy per line, no call boundary); the decoder hands whole runs of regular lines to the
 * native decoder, which skips the line breaks itself.
 */
import { CachetError } from '../../errors.js';
import type { ByteStream } from '../stream-types.js';

/** Input bytes per full output line (76 base64 characters). */
function bytesPerLine(lineLength: number): number {
  return (lineLength / 4) * 3;
}

/**
 * Base64 characters encoded per native call. The string stays under V8's large-object size
 * (128 KiB), so it is allocated in the young generation, whose memory is reused; larger strings
 * would each get fresh pages, and fresh memory is written at a fraction of the speed of warm memory.
 */
const ENCODE_BATCH_CHARS = 76 * 1024;

// --- line layout in WebAssembly -------------------------------------------------------------------
//
// (module
//   (memory (export "memory") 4)
//   (func (export "layout") (param $src i32) (param $dst i32) (param $lines i32) (param $width i32)
//     (block $done
//       (br_if $done (i32.eqz (local.get $lines)))
//       (loop $line
//         (memory.copy (local.get $dst) (local.get $src) (local.get $width))
//         (local.set $dst (i32.add (local.get $dst) (local.get $width)))
//         (i32.store16 (local.get $dst) (i32.const 0x0a0d))          ;; "\r\n" (wasm is little-endian)
//         (local.set $dst (i32.add (local.get $dst) (i32.const 2)))
//         (local.set $src (i32.add (local.get $src) (local.get $width)))
//         (br_if $line (local.tee $lines (i32.sub (local.get $lines) (i32.const 1))))))))
//
// Hand-assembled below (no toolchain needed at build time); memory.copy is the bulk-memory
// proposal, standard in Node 20's V8. Text goes in at TEXT_OFFSET, lines come out at LINES_OFFSET.
const LAYOUT_MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x08, 0x01, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x00, // type: (i32 i32 i32 i32) -> ()
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x05, 0x03, 0x01, 0x00, 0x04, // memory: 4 pages (256 KiB)
  0x07, 0x13, 0x02, // exports: 2
  0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // "memory" → memory 0
  0x06, 0x6c, 0x61, 0x79, 0x6f, 0x75, 0x74, 0x00, 0x00, // "layout" → function 0
  0x0a, 0x3f, 0x01, 0x3d, 0x00, // code: 1 body of 61 bytes, no locals
  0x02, 0x40, // block
  0x20, 0x02, 0x45, 0x0d, 0x00, //   br_if 0 (lines == 0)
  0x03, 0x40, //   loop
  0x20, 0x01, 0x20, 0x00, 0x20, 0x03, 0xfc, 0x0a, 0x00, 0x00, //     memory.copy dst src width
  0x20, 0x01, 0x20, 0x03, 0x6a, 0x21, 0x01, //     dst += width
  0x20, 0x01, 0x41, 0x8d, 0x14, 0x3b, 0x01, 0x00, //     i32.store16 [dst] 0x0a0d
  0x20, 0x01, 0x41, 0x02, 0x6a, 0x21, 0x01, //     dst += 2
  0x20, 0x00, 0x20, 0x03, 0x6a, 0x21, 0x00, //     src += width
  0x20, 0x02, 0x41, 0x01, 0x6b, 0x22, 0x02, 0x0d, 0x00, //     br_if 0 (lines -= 1)
  0x0b, //   end loop
  0x0b, // end block
  0x0b, // end function
]);
const TEXT_OFFSET = 0;
const LINES_OFFSET = 128 * 1024;

interface LayoutExports {
  memory: WebAssembly.Memory;
  layout(src: number, dst: number, lines: number, width: number): void;
}

/** Instantiated on first use; null where WebAssembly is unavailable (node --jitless). */
let layoutEngine: { memory: Buffer; layout: LayoutExports['layout'] } | null | undefined;

function engine(): { memory: Buffer; layout: LayoutExports['layout'] } | null {
  if (layoutEngine === undefined) {
    try {
      const exports = new WebAssembly.Instance(new WebAssembly.Module(LAYOUT_MODULE)).exports as unknown as LayoutExports;
      // The memory never grows, so this view stays valid.
      layoutEngine = { memory: Buffer.from(exports.memory.buffer), layout: exports.layout };
    } catch {
      layoutEngine = null;
    }
  }
  return layoutEngine;
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

export async function* base64Encode(stream: ByteStream, lineLength = 76): ByteStream {
  if (lineLength % 4 !== 0 || lineLength <= 0 || lineLength > ENCODE_BATCH_CHARS) {
    throw new RangeError(`lineLength must be a positive multiple of 4, at most ${ENCODE_BATCH_CHARS}`);
  }
  const perLine = bytesPerLine(lineLength);
  const batchBytes = perLine * Math.max(1, Math.floor(ENCODE_BATCH_CHARS / lineLength));
  // Input is gathered here (reused, so warm) until a batch of whole lines is complete.
  const stage = Buffer.allocUnsafe(batchBytes);
  let staged = 0;
  for await (const chunk of stream) {
    if (chunk.length === 0) continue;
    const input = asBuffer(chunk);
    let offset = 0;
    if (staged > 0) {
      offset = input.copy(stage, staged, 0, Math.min(input.length, batchBytes - staged));
      staged += offset;
      if (staged < batchBytes) continue;
      yield encodeLines(stage, 0, batchBytes, lineLength);
      staged = 0;
    }
    // Whole batches straight from the chunk: no copy.
    for (; input.length - offset >= batchBytes; offset += batchBytes) yield encodeLines(input, offset, offset + batchBytes, lineLength);
    // The short tail is copied: the producer may reuse the chunk's memory.
    if (offset < input.length) staged = input.copy(stage, 0, offset);
  }
  if (staged > 0) yield encodeLines(stage, 0, staged, lineLength);
}

/**
 * Encodes bytes[start, end) into CRLF-terminated lines of `lineLength` characters (the last may be
 * shorter). Synchronous from the text's arrival in the shared WebAssembly memory to the copy out, so
 * concurrent encoders (nested S/MIME layers) cannot interleave there.
 */
function encodeLines(bytes: Buffer, start: number, end: number, lineLength: number): Buffer {
  const wasm = engine();
  if (!wasm) return encodeLinesPortable(bytes, start, end, lineLength);
  const { memory, layout } = wasm;
  const textLength = memory.write(bytes.toString('base64', start, end), TEXT_OFFSET, 'latin1');
  const fullLines = Math.floor(textLength / lineLength);
  const rest = textLength - fullLines * lineLength;
  const laidOut = fullLines * (lineLength + 2);
  const out = Buffer.allocUnsafe(laidOut + (rest > 0 ? rest + 2 : 0));
  layout(TEXT_OFFSET, LINES_OFFSET, fullLines, lineLength);
  memory.copy(out, 0, LINES_OFFSET, LINES_OFFSET + laidOut);
  if (rest > 0) {
    memory.copy(out, laidOut, TEXT_OFFSET + textLength - rest, TEXT_OFFSET + textLength);
    out[out.length - 2] = 0x0d;
    out[out.length - 1] = 0x0a;
  }
  return out;
}

/** The same without WebAssembly: one copy per line (slower, see the top of this file). */
function encodeLinesPortable(bytes: Buffer, start: number, end: number, lineLength: number): Buffer {
  const text = Buffer.from(bytes.toString('base64', start, end), 'latin1');
  const out = Buffer.allocUnsafe(text.length + Math.ceil(text.length / lineLength) * 2);
  let o = 0;
  for (let i = 0; i < text.length; i += lineLength) {
    o += text.copy(out, o, i, Math.min(i + lineLength, text.length));
    out[o++] = 0x0d;
    out[o++] = 0x0a;
  }
  return out;
}

// --- decoding ----------------------------------------------------------------------------------

const CR = 0x0d;
const LF = 0x0a;
const INVALID = /[^A-Za-z0-9+/=]/;
/** Characters of regular lines handed to the native decoder at once (string under 128 KiB, as above). */
const DECODE_REGION_CHARS = 96 * 1024;
/** A line longer than this (base64 with no line breaks) is not waited for: decoded as it comes. */
const MAX_PENDING_LINE = 64 * 1024;

export interface Base64DecodeOptions {
  /**
   * The consumer is done with each decoded chunk once it asks for the next one (a ByteSource: it
   * copies what it keeps). The decoded runs are then written into one reused buffer instead of a new
   * one each: on these machines fresh memory is written at ~300 MB/s, and 256 MiB of short-lived
   * decoded chunks kept the garbage collector busy during a decryption.
   */
  reuseOutput?: boolean;
}

/** Decoded bytes per input chunk that fit the reused output (1 MiB input chunks decode to 768 KiB). */
const REUSED_OUTPUT_BYTES = 1024 * 1024;

/**
 * Decodes base64 as mail carries it: line breaks, spaces and tabs ignored; missing final padding
 * tolerated; any other character is an error (ERR_MIME_MALFORMED), never silently skipped.
 */
export async function* base64Decode(stream: ByteStream, options: Base64DecodeOptions = {}): ByteStream {
  const decoder = new Base64Decoder(options.reuseOutput === true);
  for await (const chunk of stream) {
    if (chunk.length === 0) continue;
    yield* decoder.push(asBuffer(chunk));
  }
  yield* decoder.end();
}

/**
 * Two paths, one result. The fast path takes runs of lines that all have the same width (a multiple
 * of 4) and the same line end, starting with no carry: such a run holds only whole quads, so it
 * decodes alone. Buffer's decoder skips the line breaks, but it is lenient (it also skips spaces and
 * stray bytes, stops at '=', and accepts base64url's '-' and '_'), so the run is accepted only when
 * it has no '-' or '_' and decodes to exactly 3/4 of its line characters — any skipped or stopping
 * character makes it shorter. Everything else (padding, spaces, odd lines, garbage) goes through the
 * strict path, which is the reference behaviour and produces the errors.
 */
class Base64Decoder {
  /** The unfinished last line of the previous chunk (owned copy). */
  private pending = Buffer.allocUnsafe(1024);
  private pendingLength = 0;
  /** Strict path state: significant characters not yet forming a quad; whether padding was seen. */
  private carry = '';
  private finished = false;
  /** Reused output (reuseOutput), and how much of it this push has handed out. */
  private output: Buffer | undefined;
  private used = 0;

  constructor(private readonly reuseOutput = false) {}

  push(chunk: Buffer): Buffer[] {
    // Everything handed out by the previous push has been consumed: its output space is free again.
    this.used = 0;
    const out: Buffer[] = [];
    let start = 0;
    if (this.pendingLength > 0) {
      const lf = chunk.indexOf(LF);
      const take = lf === -1 ? chunk.length : lf + 1;
      this.appendPending(chunk, 0, take);
      if (lf === -1) {
        if (this.pendingLength > MAX_PENDING_LINE) this.flushPending(out);
        return out;
      }
      this.flushPending(out); // one complete line now
      start = take;
    }
    const consumed = this.decodeLines(chunk, start, chunk.length, out);
    if (consumed < chunk.length) {
      this.appendPending(chunk, consumed, chunk.length);
      if (this.pendingLength > MAX_PENDING_LINE) this.flushPending(out);
    }
    return out;
  }

  end(): Buffer[] {
    this.used = 0;
    const out: Buffer[] = [];
    this.flushPending(out);
    if (this.carry.replace(/=+$/, '').length === 1) throw new CachetError('ERR_MIME_MALFORMED', 'the base64 content is truncated');
    if (this.carry.length > 0) out.push(Buffer.from(this.carry, 'base64'));
    this.carry = '';
    return out;
  }

  private appendPending(chunk: Buffer, from: number, to: number): void {
    const needed = this.pendingLength + (to - from);
    if (needed > this.pending.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.pending.length * 2));
      this.pending.copy(grown, 0, 0, this.pendingLength);
      this.pending = grown;
    }
    chunk.copy(this.pending, this.pendingLength, from, to);
    this.pendingLength = needed;
  }

  private flushPending(out: Buffer[]): void {
    if (this.pendingLength === 0) return;
    const length = this.pendingLength;
    this.pendingLength = 0;
    const consumed = this.decodeLines(this.pending, 0, length, out);
    if (consumed < length) this.strict(this.pending, consumed, length, out);
  }

  /** Decodes the complete lines in bytes[start, end); returns where the unfinished last line begins. */
  private decodeLines(bytes: Buffer, start: number, end: number, out: Buffer[]): number {
    let position = start;
    while (position < end) {
      let lf = bytes.indexOf(LF, position);
      if (lf >= end) lf = -1;
      if (lf === -1) return position;
      if (this.carry !== '' || this.finished) {
        // The strict path is mid-quad or past the padding: it takes the rest of what we have.
        const last = bytes.lastIndexOf(LF, end - 1) + 1;
        this.strict(bytes, position, last, out);
        return last;
      }
      const lineEnd = lf + 1 - position;
      const crlf = lf > position && bytes[lf - 1] === CR;
      const width = lineEnd - (crlf ? 2 : 1);
      let lines = 1;
      if (width > 0 && width % 4 === 0) {
        const most = Math.min(Math.floor((end - position) / lineEnd), Math.max(1, Math.floor(DECODE_REGION_CHARS / lineEnd)));
        // Only each line's end is looked at; a line with anything else in it fails the length check.
        for (let next = lf + lineEnd; lines < most && bytes[next] === LF && (!crlf || bytes[next - 1] === CR); next += lineEnd) lines++;
        const region = bytes.subarray(position, position + lines * lineEnd);
        const expected = (lines * width * 3) / 4;
        if (region.indexOf(0x2d) === -1 && region.indexOf(0x5f) === -1) {
          const decoded = this.allocate(expected);
          if (decoded.write(region.toString('latin1'), 'base64') === expected) {
            out.push(decoded);
            position += region.length;
            continue;
          }
        }
      }
      this.strict(bytes, position, position + lines * lineEnd, out);
      position += lines * lineEnd;
    }
    return position;
  }

  /** Space for `length` decoded bytes: in the reused output while it lasts, else a new buffer. */
  private allocate(length: number): Buffer {
    if (!this.reuseOutput) return Buffer.allocUnsafe(length);
    this.output ??= Buffer.allocUnsafeSlow(REUSED_OUTPUT_BYTES);
    if (this.used + length > this.output.length) return Buffer.allocUnsafe(length);
    const space = this.output.subarray(this.used, this.used + length);
    this.used += length;
    return space;
  }

  /** The reference decoder: strips white space, rejects anything else outside the alphabet. */
  private strict(bytes: Buffer, start: number, end: number, out: Buffer[]): void {
    const text = bytes.toString('latin1', start, end).replace(/[\r\n\t ]+/g, '');
    if (text.length === 0) return;
    if (INVALID.test(text)) throw new CachetError('ERR_MIME_MALFORMED', 'the base64 content contains characters that are not base64');
    if (this.finished && /[^=]/.test(text)) throw new CachetError('ERR_MIME_MALFORMED', 'base64 content continues after its padding');
    const all = this.carry + text;
    const usable = all.length - (all.length % 4);
    this.carry = all.slice(usable);
    if (usable > 0) {
      const quads = all.slice(0, usable);
      if (quads.includes('=')) this.finished = /=[^=]/.test(quads) ? failMidPadding() : true;
      out.push(Buffer.from(quads, 'base64'));
    }
    // What follows the padding in this same piece is checked too, so that the verdict does not
    // depend on where the chunks happen to split.
    if (this.finished && /[^=]/.test(this.carry)) throw new CachetError('ERR_MIME_MALFORMED', 'base64 content continues after its padding');
  }
}

function failMidPadding(): never {
  throw new CachetError('ERR_MIME_MALFORMED', 'base64 padding appears in the middle of the content');
}
