/**
 * Streaming BER encoding (X.690) of CMS framing.
 *
 * Streamed output uses the indefinite-length form around the content, as OpenSSL's `-stream` and NSS
 * do, so that a message of any size can be written without knowing its length in advance; every small
 * element inside (certificates, SignerInfos, RecipientInfos) is DER. Readers of all the usual
 * implementations (OpenSSL, NSS, gpgsm, Outlook) accept this form.
 */
import { encodeLength, identifierOctets, TagClass, UniversalTag, type TagClassValue } from './ber-reader.js';

/** The end-of-contents octets that close an indefinite-length element. */
export const END_OF_CONTENTS = Buffer.from([0x00, 0x00]);

/** Segment size for streamed OCTET STRINGs: large enough to be cheap, small enough to stay in cache. */
export const OCTET_STRING_SEGMENT = 64 * 1024;

export function tagHeader(tagClass: TagClassValue, tagNumber: number, constructed: boolean, length: number | null): Buffer {
  const identifier = identifierOctets({ tagClass, tagNumber, constructed, length, headerBytes: Buffer.alloc(0) });
  return Buffer.concat([identifier, length === null ? Buffer.from([0x80]) : encodeLength(length)]);
}

/** A definite-length element from its content. */
export function tlv(tagClass: TagClassValue, tagNumber: number, constructed: boolean, content: Uint8Array): Buffer {
  return Buffer.concat([tagHeader(tagClass, tagNumber, constructed, content.length), content]);
}

export function sequence(...children: Uint8Array[]): Buffer {
  return tlv(TagClass.universal, UniversalTag.sequence, true, Buffer.concat(children));
}

export function setOf(...children: Uint8Array[]): Buffer {
  // DER orders SET OF members by their encodings (X.690 §11.6).
  const sorted = [...children].map((c) => Buffer.from(c)).sort(Buffer.compare);
  return tlv(TagClass.universal, UniversalTag.set, true, Buffer.concat(sorted));
}

export function octetString(content: Uint8Array): Buffer {
  return tlv(TagClass.universal, UniversalTag.octetString, false, content);
}

export function explicitContext(tagNumber: number, content: Uint8Array): Buffer {
  return tlv(TagClass.context, tagNumber, true, content);
}

export function smallInteger(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('smallInteger takes a non-negative safe integer');
  const bytes: number[] = [];
  let n = value;
  do {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(TagClass.universal, UniversalTag.integer, false, Buffer.from(bytes));
}

export function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => Number(a));
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new RangeError(`bad OID ${dotted}`);
  const values = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  const bytes: number[] = [];
  for (const value of values) {
    const group: number[] = [value & 0x7f];
    let n = Math.floor(value / 128);
    while (n > 0) {
      group.unshift((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    bytes.push(...group);
  }
  return tlv(TagClass.universal, UniversalTag.objectIdentifier, false, Buffer.from(bytes));
}

/** The opening of an indefinite-length constructed element; close it with END_OF_CONTENTS. */
export function openIndefinite(tagClass: TagClassValue, tagNumber: number): Buffer {
  return tagHeader(tagClass, tagNumber, true, null);
}

/**
 * Writes a byte stream as the segments of a constructed, indefinite-length OCTET STRING (with the
 * given identifier, e.g. `[0] IMPLICIT` for EncryptedContentInfo), re-chunking to bounded segments so
 * that tiny upstream chunks do not each cost a header. The opening header and the end-of-contents are
 * included.
 */
export async function* segmentedOctetString(
  content: AsyncIterable<Uint8Array>,
  identifier: { tagClass: TagClassValue; tagNumber: number } = { tagClass: TagClass.universal, tagNumber: UniversalTag.octetString },
): AsyncGenerator<Uint8Array> {
  yield openIndefinite(identifier.tagClass, identifier.tagNumber);
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  const flush = function* (): Generator<Uint8Array> {
    if (pendingLength === 0) return;
    yield tagHeader(TagClass.universal, UniversalTag.octetString, false, pendingLength);
    for (const part of pending) yield part;
    pending = [];
    pendingLength = 0;
  };
  for await (const chunk of content) {
    if (chunk.length === 0) continue;
    if (chunk.length >= OCTET_STRING_SEGMENT) {
      yield* flush();
      yield tagHeader(TagClass.universal, UniversalTag.octetString, false, chunk.length);
      yield chunk;
      continue;
    }
    // Small chunks wait here for more: copied, since the producer may reuse its memory once it
    // has been asked for the next chunk (large ones go out at once, without a copy).
    pending.push(Buffer.from(chunk));
    pendingLength += chunk.length;
    if (pendingLength >= OCTET_STRING_SEGMENT) yield* flush();
  }
  yield* flush();
  yield END_OF_CONTENTS;
}
