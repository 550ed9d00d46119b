/**
 * Line endings to the canonical CRLF (RFC 5652 §5.1 hashes S/MIME content in canonical form; stored
 * mail often has bare LF). Streaming: a CR at the end of one chunk is held until the next shows
 * whether an LF follows. Segments between line feeds are copied with Buffer.copy, so text that is
 * already canonical costs little more than a memcpy.
 */
import type { ByteStream } from '../stream-types.js';

const CR = 0x0d;
const LF = 0x0a;

export async function* toCrlf(stream: ByteStream): ByteStream {
  let pendingCr = false;
  for await (const chunk of stream) {
    if (chunk.length === 0) continue;
    let input = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out = Buffer.allocUnsafe(input.length * 2 + 2);
    let o = 0;
    if (pendingCr) {
      out[o++] = CR;
      out[o++] = LF;
      pendingCr = false;
      if (input[0] === LF) input = input.subarray(1);
    }
    if (input.length > 0 && input[input.length - 1] === CR) {
      pendingCr = true;
      input = input.subarray(0, input.length - 1);
    }
    if (o === 0 && isCanonical(input)) {
      // Already CRLF throughout (the usual case for mail): pass the chunk on without a copy.
      if (input.length > 0) yield input;
      continue;
    }
    let start = 0;
    while (start < input.length) {
      let lf = input.indexOf(LF, start);
      const end = lf === -1 ? input.length : lf;
      o = copyWithLoneCrs(input, start, end, out, o);
      if (lf === -1) break;
      // the segment's own trailing CR (if any) was written by copyWithLoneCrs as CRLF already
      if (end === start || input[end - 1] !== CR) {
        out[o++] = CR;
        out[o++] = LF;
      }
      start = lf + 1;
      lf = -1;
    }
    if (o > 0) yield out.subarray(0, o);
  }
  if (pendingCr) yield Buffer.from([CR, LF]);
}

/** Every LF is preceded by a CR and every CR followed by an LF: nothing to change. */
function isCanonical(input: Buffer): boolean {
  let lineFeeds = 0;
  for (let lf = input.indexOf(LF); lf !== -1; lf = input.indexOf(LF, lf + 1)) {
    if (lf === 0 || input[lf - 1] !== CR) return false;
    lineFeeds++;
  }
  let carriageReturns = 0;
  for (let cr = input.indexOf(CR); cr !== -1; cr = input.indexOf(CR, cr + 1)) carriageReturns++;
  return carriageReturns === lineFeeds;
}

/** Copies input[start, end) into out; a CR not at the segment's end becomes CRLF, one at its end stays CR+LF. */
function copyWithLoneCrs(input: Buffer, start: number, end: number, out: Buffer, o: number): number {
  let position = start;
  for (;;) {
    const cr = input.indexOf(CR, position);
    if (cr === -1 || cr >= end) {
      o += input.copy(out, o, position, end);
      return o;
    }
    o += input.copy(out, o, position, cr);
    out[o++] = CR;
    out[o++] = LF;
    position = cr + 1;
  }
}
