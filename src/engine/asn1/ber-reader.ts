/**
 * Streaming BER decoding (X.690) of the framing of CMS objects.
 *
 * The decoder understands exactly what S/MIME producers emit: definite lengths (DER), indefinite
 * lengths with end-of-contents octets (OpenSSL `-stream`, NSS), and constructed OCTET STRINGs made of
 * primitive segments. Small elements are captured whole (re-encoded with definite lengths, so DER
 * parsers downstream accept them); the content octets are streamed.
 *
 * Limits are named and enforced so that hostile input cannot make Cachet allocate or recurse without
 * bound: see {@link BER_LIMITS}.
 */
import { CachetError } from '../../errors.js';
import { ByteSource } from './byte-source.js';

export const BER_LIMITS = {
  /** The largest element captured whole into memory (certificate sets, SignerInfos, RecipientInfos). */
  maxCapturedElementBytes: 16 * 1024 * 1024,
  /** Nesting depth of constructed elements. */
  maxDepth: 64,
  /** Length fields longer than this many octets are refused (2^56 bytes is beyond any message). */
  maxLengthOctets: 7,
} as const;

export const TagClass = { universal: 0, application: 1, context: 2, private: 3 } as const;
export type TagClassValue = (typeof TagClass)[keyof typeof TagClass];

/** ASN.1 universal tag numbers used by CMS. */
export const UniversalTag = {
  endOfContents: 0,
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  objectIdentifier: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  printableString: 19,
  utcTime: 23,
  generalizedTime: 24,
} as const;

export interface BerHeader {
  tagClass: TagClassValue;
  constructed: boolean;
  tagNumber: number;
  /** Content length, or null for the indefinite form (constructed only). */
  length: number | null;
  /** The identifier and length octets as read. */
  headerBytes: Buffer;
}

export function malformed(message: string, position?: number): CachetError {
  return new CachetError('ERR_CMS_MALFORMED', message, position === undefined ? {} : { details: { position } });
}

export async function readHeader(source: ByteSource): Promise<BerHeader> {
  const start: number[] = [];
  const first = await source.readByte();
  start.push(first);
  const tagClass = (first >> 6) as TagClassValue;
  const constructed = (first & 0x20) !== 0;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let i = 0; ; i++) {
      if (i >= 4) throw malformed('a tag number is too long', source.position);
      const byte = await source.readByte();
      start.push(byte);
      tagNumber = tagNumber * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) break;
    }
  }
  const lengthByte = await source.readByte();
  start.push(lengthByte);
  let length: number | null;
  if (lengthByte < 0x80) {
    length = lengthByte;
  } else if (lengthByte === 0x80) {
    if (!constructed) throw malformed('a primitive element has an indefinite length', source.position);
    length = null;
  } else {
    const octets = lengthByte & 0x7f;
    if (octets > BER_LIMITS.maxLengthOctets || octets === 0x7f) throw malformed('a length field is too long', source.position);
    length = 0;
    for (let i = 0; i < octets; i++) {
      const byte = await source.readByte();
      start.push(byte);
      length = length * 256 + byte;
    }
    if (!Number.isSafeInteger(length)) throw malformed('a length is out of range', source.position);
  }
  return { tagClass, constructed, tagNumber, length, headerBytes: Buffer.from(start) };
}

export function isEndOfContents(header: BerHeader): boolean {
  return header.tagClass === 0 && !header.constructed && header.tagNumber === 0 && header.length === 0;
}

export function isTag(header: BerHeader, tagClass: TagClassValue, tagNumber: number, constructed?: boolean): boolean {
  return (
    header.tagClass === tagClass &&
    header.tagNumber === tagNumber &&
    (constructed === undefined || header.constructed === constructed)
  );
}

export function expectTag(header: BerHeader, tagClass: TagClassValue, tagNumber: number, what: string, constructed?: boolean): void {
  if (!isTag(header, tagClass, tagNumber, constructed)) {
    throw malformed(`expected ${what}, found tag ${describeTag(header)}`);
  }
}

export function describeTag(header: BerHeader): string {
  const cls = ['UNIVERSAL', 'APPLICATION', 'CONTEXT', 'PRIVATE'][header.tagClass];
  return `[${cls} ${header.tagNumber}]${header.constructed ? ' constructed' : ''}`;
}

/**
 * Tracks where a constructed element ends: by byte position for definite lengths, by an
 * end-of-contents marker for indefinite ones.
 */
export class ConstructedScope {
  private readonly end: number | null;

  constructor(
    private readonly source: ByteSource,
    header: BerHeader,
  ) {
    this.end = header.length === null ? null : source.position + header.length;
  }

  /** Reads the next child's header, or returns undefined at the end of this element (consuming an EOC). */
  async nextChild(): Promise<BerHeader | undefined> {
    if (this.end !== null) {
      if (this.source.position === this.end) return undefined;
      if (this.source.position > this.end) throw malformed('an element overruns its parent', this.source.position);
      const header = await readHeader(this.source);
      this.checkFits(header);
      return header;
    }
    const header = await readHeader(this.source);
    if (isEndOfContents(header)) return undefined;
    return header;
  }

  /** Reads the next child, which must exist. */
  async requireChild(what: string): Promise<BerHeader> {
    const header = await this.nextChild();
    if (!header) throw malformed(`${what} is missing`, this.source.position);
    return header;
  }

  /** Consumes the end of this element; throws when more children follow. */
  async close(what: string): Promise<void> {
    const extra = await this.nextChild();
    if (extra) throw malformed(`unexpected data after ${what}`, this.source.position);
  }

  private checkFits(header: BerHeader): void {
    if (this.end !== null && header.length !== null && this.source.position + header.length > this.end) {
      throw malformed('an element overruns its parent', this.source.position);
    }
  }
}

/**
 * Reads the content of an element whose header was just read and returns the whole element in DER-ish
 * definite-length form (identifier, definite length, content), ready for an ASN.1 schema parser.
 * Indefinite-length elements are re-encoded with definite lengths, recursively.
 */
export async function captureElement(source: ByteSource, header: BerHeader, depth = 0, limit: number = BER_LIMITS.maxCapturedElementBytes): Promise<Buffer> {
  const content = await captureContent(source, header, depth, limit);
  return Buffer.concat([identifierOctets(header), encodeLength(content.length), content]);
}

/** The content octets of an element (definite-length re-encoded), bounded by `limit`. */
export async function captureContent(source: ByteSource, header: BerHeader, depth = 0, limit: number = BER_LIMITS.maxCapturedElementBytes): Promise<Buffer> {
  if (depth > BER_LIMITS.maxDepth) throw new CachetError('ERR_LIMIT_EXCEEDED', 'ASN.1 nesting is too deep');
  if (header.length !== null) {
    if (header.length > limit) {
      throw new CachetError('ERR_LIMIT_EXCEEDED', `an ASN.1 element of ${header.length} bytes exceeds the ${limit}-byte limit`);
    }
    return source.readExact(header.length);
  }
  const parts: Buffer[] = [];
  let total = 0;
  const scope = new ConstructedScope(source, header);
  for (;;) {
    const child = await scope.nextChild();
    if (!child) break;
    const element = await captureElement(source, child, depth + 1, limit - total);
    total += element.length;
    if (total > limit) throw new CachetError('ERR_LIMIT_EXCEEDED', `an ASN.1 element exceeds the ${limit}-byte limit`);
    parts.push(element);
  }
  return Buffer.concat(parts);
}

/** Skips an element's content without keeping it. */
export async function skipContent(source: ByteSource, header: BerHeader, depth = 0): Promise<void> {
  if (depth > BER_LIMITS.maxDepth) throw new CachetError('ERR_LIMIT_EXCEEDED', 'ASN.1 nesting is too deep');
  if (header.length !== null) {
    for await (const _chunk of source.readChunks(header.length)) {
      // discarded
    }
    return;
  }
  const scope = new ConstructedScope(source, header);
  for (;;) {
    const child = await scope.nextChild();
    if (!child) return;
    await skipContent(source, child, depth + 1);
  }
}

/**
 * Streams the value of an OCTET STRING whose header was just read: primitive, or constructed from
 * segments (BER, definite or indefinite, nested), as OpenSSL and NSS write streamed content.
 * The header may carry an implicit tag (e.g. `[0] IMPLICIT OCTET STRING` in EncryptedContentInfo).
 */
export async function* streamOctetString(source: ByteSource, header: BerHeader, depth = 0): AsyncGenerator<Uint8Array> {
  if (depth > BER_LIMITS.maxDepth) throw new CachetError('ERR_LIMIT_EXCEEDED', 'ASN.1 nesting is too deep');
  if (!header.constructed) {
    yield* source.readChunks(header.length ?? 0);
    return;
  }
  const scope = new ConstructedScope(source, header);
  for (;;) {
    const child = await scope.nextChild();
    if (!child) return;
    if (child.tagClass !== TagClass.universal || child.tagNumber !== UniversalTag.octetString) {
      throw malformed(`a segmented OCTET STRING holds ${describeTag(child)}`, source.position);
    }
    yield* streamOctetString(source, child, depth + 1);
  }
}

export function identifierOctets(header: BerHeader): Buffer {
  // The identifier octets are the header minus its length octets; recompute them from the fields.
  const first = (header.tagClass << 6) | (header.constructed ? 0x20 : 0);
  if (header.tagNumber < 0x1f) return Buffer.from([first | header.tagNumber]);
  const bytes: number[] = [];
  let n = header.tagNumber;
  bytes.unshift(n & 0x7f);
  n = Math.floor(n / 128);
  while (n > 0) {
    bytes.unshift((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  return Buffer.from([first | 0x1f, ...bytes]);
}

export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  let n = length;
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Reads an OBJECT IDENTIFIER element whose header was just read and returns its dotted form. */
export async function readObjectIdentifier(source: ByteSource, header: BerHeader): Promise<string> {
  expectTag(header, TagClass.universal, UniversalTag.objectIdentifier, 'an OBJECT IDENTIFIER', false);
  if (header.length === null || header.length > 64) throw malformed('an OBJECT IDENTIFIER is too long');
  return decodeObjectIdentifier(await source.readExact(header.length));
}

export function decodeObjectIdentifier(content: Uint8Array): string {
  if (content.length === 0) throw malformed('an empty OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

/** Reads a small INTEGER element whose header was just read (versions, counters). */
export async function readSmallInteger(source: ByteSource, header: BerHeader): Promise<number> {
  expectTag(header, TagClass.universal, UniversalTag.integer, 'an INTEGER', false);
  if (header.length === null || header.length === 0 || header.length > 6) throw malformed('an INTEGER is out of range');
  const bytes = await source.readExact(header.length);
  let value = bytes[0]! & 0x80 ? -1 : 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value;
}
