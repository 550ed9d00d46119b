/**
 * Splits an RFC 5322 message for S/MIME wrapping: its Content-* header fields and body form the entity
 * that is signed or encrypted (RFC 2045 §9, RFC 8551 §3.1), the other fields (From, To, Subject, …)
 * stay outside, with MIME-Version: 1.0 set once.
 */
import type { ByteStream } from '../stream-types.js';
import { readMimeEntity } from './entity-reader.js';

function crlf(raw: Uint8Array): Buffer {
  return Buffer.from(Buffer.from(raw).toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

export interface SplitMessage {
  /** The outer header fields, CRLF-terminated, MIME-Version included, without the blank line. */
  outerHeaders: Buffer;
  /** The inner entity: Content-* fields, blank line, body. */
  entity: ByteStream;
}

export async function splitMessage(message: ByteStream): Promise<SplitMessage> {
  const parsed = await readMimeEntity(message);
  const outer: Buffer[] = [];
  const inner: Buffer[] = [];
  for (const field of parsed.headers.fields) {
    if (/^mime-version$/i.test(field.name)) continue;
    (/^content-/i.test(field.name) ? inner : outer).push(crlf(field.raw));
  }
  async function* entity(): ByteStream {
    yield Buffer.concat([...inner, Buffer.from('\r\n')]);
    yield* parsed.body;
  }
  return { outerHeaders: Buffer.concat([...outer, Buffer.from('MIME-Version: 1.0\r\n')]), entity: entity() };
}

/** Wraps a message: outer headers, then what `wrap` makes of the inner entity. */
export function wrapMessage(message: ByteStream, wrap: (entity: ByteStream) => ByteStream): ByteStream {
  return (async function* () {
    const { outerHeaders, entity } = await splitMessage(message);
    yield outerHeaders;
    yield* wrap(entity);
  })();
}
