/**
 * A minimal synchronous DER walker for the small elements the signing code parses on every message
 * (SignerInfo, signed attributes, AlgorithmIdentifiers). Why by hand: verification must keep the
 * exact bytes of the signed attributes (a re-serialised SET may differ and break the signature), and
 * a schema parse per message costs more than the RSA verification itself at 2,000 verifies a second.
 */
import { CachetError } from '../../errors.js';
import { decodeObjectIdentifier } from '../asn1/ber-reader.js';

export interface DerNode {
  /** The first identifier octet (class, constructed bit, tag number < 31). */
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

export function cmsMalformed(message: string): CachetError {
  return new CachetError('ERR_CMS_MALFORMED', message);
}

export function derNode(buf: Uint8Array, pos = 0, limit = buf.length): DerNode {
  if (pos + 2 > limit) throw cmsMalformed('an ASN.1 element ends too early');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw cmsMalformed('an unexpected high tag number');
  let p = pos + 1;
  const first = buf[p++]!;
  let length: number;
  if (first < 0x80) length = first;
  else {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 4) throw cmsMalformed('an element is not DER-encoded (indefinite or oversized length)');
    length = 0;
    for (let i = 0; i < octets; i++) {
      if (p >= limit) throw cmsMalformed('an ASN.1 element ends too early');
      length = length * 256 + buf[p++]!;
    }
  }
  const end = p + length;
  if (end > limit) throw cmsMalformed('an ASN.1 element overruns its parent');
  return { tag, start: pos, contentStart: p, end };
}

export function derChildren(buf: Uint8Array, parent: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let pos = parent.contentStart; pos < parent.end; ) {
    const child = derNode(buf, pos, parent.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export function derContent(buf: Uint8Array, node: DerNode): Uint8Array {
  return buf.subarray(node.contentStart, node.end);
}

export function derBytes(buf: Uint8Array, node: DerNode): Uint8Array {
  return buf.subarray(node.start, node.end);
}

export function derOid(buf: Uint8Array, node: DerNode): string {
  if (node.tag !== 0x06) throw cmsMalformed('expected an OBJECT IDENTIFIER');
  return decodeObjectIdentifier(derContent(buf, node));
}

export function derInteger(buf: Uint8Array, node: DerNode): number {
  if (node.tag !== 0x02 || node.end - node.contentStart > 6 || node.end === node.contentStart) throw cmsMalformed('expected a small INTEGER');
  let value = 0;
  for (const byte of derContent(buf, node)) value = value * 256 + byte;
  return value;
}

/** A DER header for a definite-length element with a one-octet tag. */
export function derHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

export function derTlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([derHeader(tag, body.length), body]);
}
