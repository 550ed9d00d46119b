/**
 * The sending side of header protection (RFC 9788; protected-headers.ts reads it): a whole composed
 * message becomes the Cryptographic Payload, its header fields inside the signature and the encryption,
 * and the header fields that travel outside are chosen here, once.
 *
 * - The payload's root Content-Type gains `hp="cipher"` (it will be encrypted) or `hp="clear"` (signed
 *   only), RFC 9788 §2.1, and Thunderbird's older `protected-headers="v1"`, which Thunderbird before
 *   128 and NeoMutt read; Thunderbird itself writes both on one Content-Type.
 * - Encrypted (hp="cipher"): the outer header is reduced the way RFC 9788 §3.2's `hcp_baseline` does
 *   (Subject "[...]" when obscured; From, To, Cc, Date and Message-ID kept; anything else left out), and
 *   every non-structural field left outside is recorded inside as `HP-Outer: Name: value` (§2.2), so a
 *   reader tells what the sender hid from what a relay changed. A field left out has no HP-Outer line.
 * - Signed only (hp="clear"): the outer header is the composed one; no HP-Outer (§2.2: only an
 *   encrypted payload carries it).
 *
 * No Legacy Display Element (the §2.1.3 text part repeating the headers): it is optional, and readers
 * that show the protected Subject do not need it.
 */
import { readMimeEntity } from '../mime/entity-reader.js';
import type { ByteStream } from '../stream-types.js';

export type HeaderProtectionMode = 'cipher' | 'clear';

export interface HeaderProtectionOptions {
  /** cipher: the payload will be encrypted; clear: signed only. */
  mode: HeaderProtectionMode;
  /** Encrypted only: the outer Subject reads "[...]" (RFC 9788 §3.2 hcp_baseline). Default true. */
  obscureSubject?: boolean;
}

export interface ProtectedPayload {
  /**
   * The Cryptographic Payload: the message with its marked Content-Type (and HP-Outer fields), CRLF,
   * streamed: the composed body passes through as it comes (read once).
   */
  payload: ByteStream;
  /** The outer header fields, CRLF-terminated, MIME-Version: 1.0 last, without the blank line. */
  outerHeader: Buffer;
}

/** RFC 9788 §1.1: Content-* and MIME-Version are structural; they describe the MIME tree, not the message. */
function isStructural(name: string): boolean {
  return /^(content-|mime-version$)/i.test(name);
}

/** What stays outside an encrypted message besides the (possibly obscured) Subject. */
const KEPT_OUTSIDE_ENCRYPTED = new Set(['from', 'to', 'cc', 'date', 'message-id', 'subject']);

/** The obscured Subject of RFC 9788 §3.2. */
export const OBSCURED_SUBJECT = '[...]';

function crlfLines(raw: Uint8Array): string {
  return `${Buffer.from(raw).toString('latin1').replace(/\r?\n/g, '\r\n').replace(/(\r\n)?$/, '')}\r\n`;
}

/**
 * Marks a composed message as a header-protected payload and chooses its outer header. Only the
 * header block is read before this returns; the body streams on through `payload`.
 * @param message an RFC 5322 message (header fields, blank line, body) as a composer writes it
 * @throws CachetError ERR_LIMIT_EXCEEDED when its header block exceeds MIME_LIMITS.maxHeaderBytes
 * @example
 *   const { payload, outerHeader } = await protectHeaders(composed, { mode: 'cipher' });
 *   const sealed = (async function* () {
 *     yield outerHeader;
 *     yield* encryptEntity(payload, options);
 *   })();
 */
export async function protectHeaders(message: ByteStream, options: HeaderProtectionOptions): Promise<ProtectedPayload> {
  const { headers: header, body } = await readMimeEntity(message);
  const obscure = options.obscureSubject !== false;
  const outer: string[] = [];
  const hpOuter: string[] = [];
  const inner: string[] = [];
  let marked = false;
  for (const field of header.fields) {
    const text = crlfLines(field.raw);
    const lower = field.name.toLowerCase();
    if (lower === 'content-type' && !marked) {
      // Appended parameters: the media type and its own parameters (boundary, charset) stay as composed.
      inner.push(`${text.slice(0, -2)};\r\n hp="${options.mode}"; protected-headers="v1"\r\n`);
      marked = true;
      continue;
    }
    inner.push(text);
    if (isStructural(field.name)) continue;
    if (options.mode === 'clear') {
      outer.push(text);
    } else if (KEPT_OUTSIDE_ENCRYPTED.has(lower)) {
      const outside = lower === 'subject' && obscure ? `Subject: ${OBSCURED_SUBJECT}\r\n` : text;
      outer.push(outside);
      hpOuter.push(`HP-Outer: ${outside}`);
    }
  }
  // RFC 2045 §5.2: no Content-Type means text/plain; us-ascii — written out so it can carry hp.
  if (!marked) inner.unshift(`Content-Type: text/plain; charset=us-ascii;\r\n hp="${options.mode}"; protected-headers="v1"\r\n`);
  const innerHeader = Buffer.from(`${[...inner, ...hpOuter].join('')}\r\n`, 'latin1');
  const payload = (async function* () {
    yield innerHeader;
    yield* body;
  })();
  return { payload, outerHeader: Buffer.from(`${outer.join('')}MIME-Version: 1.0\r\n`, 'latin1') };
}
