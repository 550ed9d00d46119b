/**
 * One overall status for a message, in the vocabulary a mail client may tell its user — and never more
 * than the message proves (issue 2, "status"):
 * - valid: the MIME root is signed (possibly under encryption), every signature verifies, every chain is
 *   trusted (usage included: the certificate may sign mail), and a signer's address is the single
 *   well-formed From address;
 * - invalid: a signature does not verify (tampered content, a bad signer among several);
 * - untrusted: the signatures verify but a chain does not (unknown CA, expired, revoked, wrong usage);
 * - mismatch: valid and trusted, but no signer is the (single, well-formed) From address;
 * - partially-signed: a signed part sits inside unsigned content: the part is reported, not the message;
 * - not-signed.
 */
import { normaliseAddress, parseMailboxes } from '../mime/addresses.js';
import type { SignedLayerReport } from './reports.js';

export { normaliseAddress };

export type MessageStatus = 'valid' | 'invalid' | 'untrusted' | 'mismatch' | 'partially-signed' | 'not-signed';

/**
 * The addresses of a From-like raw header value ("Name <a@b>, c@d (Comment)"), parsed before any
 * RFC 2047 decoding (addresses.ts); undefined entries when malformed.
 */
export function parseAddressList(value: string | undefined): Array<string | undefined> {
  if (value === undefined) return [];
  return parseMailboxes(value).map((m) => m.address);
}

/**
 * @param signedLayers the signed layers at the MIME root (outermost first), each verified
 * @param signedPartCount how many signed parts were found inside unsigned content
 * @param from the From addresses of the effective header (undefined entries: malformed)
 */
export function computeStatus(signedLayers: readonly SignedLayerReport[], signedPartCount: number, from: ReadonlyArray<string | undefined>): MessageStatus {
  if (signedLayers.length === 0) return signedPartCount > 0 ? 'partially-signed' : 'not-signed';
  const signers = signedLayers.flatMap((l) => l.signers);
  if (signers.length === 0 || signers.some((s) => !s.valid) || signedLayers.some((l) => !l.valid)) return 'invalid';
  if (signers.some((s) => s.trusted !== true) || signedLayers.some((l) => l.trusted !== true)) return 'untrusted';
  const sender = from.length === 1 ? from[0] : undefined;
  if (!sender) return 'mismatch';
  return signers.some((s) => s.email.some((e) => normaliseAddress(e) === sender)) ? 'valid' : 'mismatch';
}
