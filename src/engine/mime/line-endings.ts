/**
 * Line endings to the canonical CRLF (RFC 5652 §5.1 hashes S/MIME content in canonical form; stored
 * mail often has bare LF). Streaming: a CR at the end of one chunk is held until the next shows
 * whether an LF follows. Text that is already canonical (the usual case) is checked 16 bytes at a
 * time and passed on without a copy; otherwise segments between line feeds are copied with Buffer.copy.
 */
import type { ByteStream } from '../stream-types.js';

const CR = 0x0d;
const LF = 0x0a;

export async function* toCrlf(stream: ByteStream): ByteStream {
  let pendingCr = false;
  for await (const chunk of stream) {
    if (chunk.length === 0) continue;
    let input = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const crlfFirst = pendingCr;
    pendingCr = false;
    if (crlfFirst && input[0] === LF) input = input.subarray(1);
    if (input.length > 0 && input[input.length - 1] === CR) {
      pendingCr = true;
      input = input.subarray(0, input.length - 1);
    }
    if (isCanonical(input)) {
      // Already CRLF throughout (the usual case for mail): pass the chunk on without a copy. The
      // output buffer below is only allocated when needed: fresh memory is slow to write here.
      if (crlfFirst) yield Buffer.from([CR, LF]);
      if (input.length > 0) yield input;
      continue;
    }
    const out = Buffer.allocUnsafe(input.length * 2 + 2);
    let o = 0;
    if (crlfFirst) {
      out[o++] = CR;
      out[o++] = LF;
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

/**
 * Every LF is preceded by a CR and every CR followed by an LF: nothing to change. Equivalently, for
 * every position i, input[i] is CR exactly when input[i + 1] is LF (and input[0] is not LF).
 *
 * Why WebAssembly: this check runs over every byte that is signed or encrypted. Done with
 * Buffer.indexOf it costs two native calls per line (~40–60 ns each on these machines, ~15% of an
 * encryption); a JS byte loop runs at ~1 GB/s. Compared 16 bytes at a time with SIMD it runs at
 * ~15 GB/s, and copying the chunk into the module's memory first costs less than the calls saved.
 */
function isCanonical(input: Buffer): boolean {
  if (input.length === 0) return true;
  if (input[0] === LF) return false;
  const wasm = pairEngine();
  if (!wasm) return isCanonicalPortable(input);
  const { memory, mismatch } = wasm;
  for (let start = 0; start < input.length; start += PAIR_WINDOW) {
    const length = Math.min(PAIR_WINDOW, input.length - start);
    // The window and the byte after it (the partner of its last byte), or a 0 at the very end.
    const copied = input.copy(memory, 0, start, Math.min(start + length + 1, input.length));
    if (copied === length) memory[length] = 0;
    const blocks = length - (length % 16);
    if (mismatch(0, blocks) !== 0) return false;
    for (let i = blocks; i < length; i++) if ((memory[i] === CR) !== (memory[i + 1] === LF)) return false;
  }
  return true;
}

// (module
//   (memory (export "memory") 2)
//   (func (export "mismatch") (param $p i32) (param $end i32) (result i32)
//     (local $bad v128)
//     (block $done
//       (loop $next
//         (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
//         (local.set $bad (v128.or (local.get $bad)
//           (v128.xor (i8x16.eq (v128.load offset=0 (local.get $p)) (i8x16.splat (i32.const 13)))
//                     (i8x16.eq (v128.load offset=1 (local.get $p)) (i8x16.splat (i32.const 10))))))
//         (local.set $p (i32.add (local.get $p) (i32.const 16)))
//         (br $next)))
//     (v128.any_true (local.get $bad))))
//
// Hand-assembled (no toolchain at build time); 128-bit SIMD is standard in Node 20's V8. It reads
// 16 bytes past `end` + 1, hence the window is smaller than the memory.
const PAIR_MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // type: (i32 i32) -> i32
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x05, 0x03, 0x01, 0x00, 0x02, // memory: 2 pages (128 KiB)
  0x07, 0x15, 0x02, // exports: 2
  0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // "memory" → memory 0
  0x08, 0x6d, 0x69, 0x73, 0x6d, 0x61, 0x74, 0x63, 0x68, 0x00, 0x00, // "mismatch" → function 0
  0x0a, 0x40, 0x01, 0x3e, // code: 1 body of 62 bytes
  0x01, 0x01, 0x7b, // one v128 local ($bad, zero)
  0x02, 0x40, // block
  0x03, 0x40, //   loop
  0x20, 0x00, 0x20, 0x01, 0x4f, 0x0d, 0x01, //     br_if 1 (p >= end)
  0x20, 0x02, //     bad
  0x20, 0x00, 0xfd, 0x00, 0x00, 0x00, //     v128.load [p]
  0x41, 0x0d, 0xfd, 0x0f, 0xfd, 0x23, //     i8x16.eq (splat CR)
  0x20, 0x00, 0xfd, 0x00, 0x00, 0x01, //     v128.load [p + 1]
  0x41, 0x0a, 0xfd, 0x0f, 0xfd, 0x23, //     i8x16.eq (splat LF)
  0xfd, 0x51, 0xfd, 0x50, 0x21, 0x02, //     bad |= (cr xor lf)
  0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00, //     p += 16
  0x0c, 0x00, //     br 0
  0x0b, //   end loop
  0x0b, // end block
  0x20, 0x02, 0xfd, 0x53, // v128.any_true bad
  0x0b, // end function
]);
const PAIR_WINDOW = 64 * 1024;

/** Instantiated on first use; null where WebAssembly is unavailable (node --jitless). */
let pairs: { memory: Buffer; mismatch: (p: number, end: number) => number } | null | undefined;

function pairEngine(): { memory: Buffer; mismatch: (p: number, end: number) => number } | null {
  if (pairs === undefined) {
    try {
      const exports = new WebAssembly.Instance(new WebAssembly.Module(PAIR_MODULE)).exports as unknown as {
        memory: WebAssembly.Memory;
        mismatch: (p: number, end: number) => number;
      };
      // The memory never grows, so this view stays valid.
      pairs = { memory: Buffer.from(exports.memory.buffer), mismatch: exports.mismatch };
    } catch {
      pairs = null;
    }
  }
  return pairs;
}

/** The same check without WebAssembly: two native searches per line. */
function isCanonicalPortable(input: Buffer): boolean {
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
