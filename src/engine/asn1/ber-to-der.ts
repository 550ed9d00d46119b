/**
 * Re-encodes a small BER object as DER: indefinite lengths become definite, segmented (constructed)
 * OCTET STRINGs become one primitive string. Some PKCS#12 writers (Java keytool, old Windows) emit
 * BER; the DER walkers downstream then read it like any other file. Bounded in depth and size.
 */
import { CachetError } from '../../errors.js';
import { encodeLength } from './ber-reader.js';

const MAX_DEPTH = 64;

interface Parsed {
  der: Buffer;
  next: number;
}

function fail(message: string): CachetError {
  return new CachetError('ERR_ASN1_MALFORMED', message);
}

function parse(buf: Uint8Array, pos: number, depth: number): Parsed {
  if (depth > MAX_DEPTH) throw new CachetError('ERR_LIMIT_EXCEEDED', 'ASN.1 nesting is too deep');
  if (pos + 2 > buf.length) throw fail('the data ends too early');
  const identifierStart = pos;
  const first = buf[pos++]!;
  if ((first & 0x1f) === 0x1f) {
    while (pos < buf.length && buf[pos]! & 0x80) pos++;
    pos++;
  }
  const identifier = Buffer.from(buf.subarray(identifierStart, pos));
  const constructed = (first & 0x20) !== 0;
  const lengthByte = buf[pos++];
  if (lengthByte === undefined) throw fail('the data ends too early');
  let end: number | null;
  if (lengthByte < 0x80) end = pos + lengthByte;
  else if (lengthByte === 0x80) {
    if (!constructed) throw fail('a primitive element has an indefinite length');
    end = null;
  } else {
    const octets = lengthByte & 0x7f;
    if (octets > 6) throw fail('a length field is too long');
    let length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (buf[pos++] ?? fail('the data ends too early') as never);
    end = pos + length;
  }
  if (end !== null && end > buf.length) throw fail('an element overruns the data');
  if (!constructed) {
    const content = Buffer.from(buf.subarray(pos, end!));
    return { der: Buffer.concat([identifier, encodeLength(content.length), content]), next: end! };
  }
  const children: Buffer[] = [];
  for (;;) {
    if (end === null) {
      if (pos + 2 > buf.length) throw fail('an indefinite-length element is not terminated');
      if (buf[pos] === 0 && buf[pos + 1] === 0) {
        pos += 2;
        break;
      }
    } else if (pos >= end) break;
    const child = parse(buf, pos, depth + 1);
    children.push(child.der);
    pos = child.next;
  }
  if (first === 0x24) {
    // constructed OCTET STRING → one primitive OCTET STRING of the segments' contents
    const content = Buffer.concat(children.map((c) => c.subarray(headerLength(c))));
    return { der: Buffer.concat([Buffer.from([0x04]), encodeLength(content.length), content]), next: pos };
  }
  const content = Buffer.concat(children);
  return { der: Buffer.concat([identifier, encodeLength(content.length), content]), next: pos };
}

function headerLength(der: Buffer): number {
  const lengthByte = der[1]!;
  return 2 + (lengthByte < 0x80 ? 0 : lengthByte & 0x7f);
}

/** The DER form of one BER element at the start of `buf` (trailing bytes are ignored). */
export function berToDer(buf: Uint8Array): Buffer {
  return parse(buf, 0, 0).der;
}
