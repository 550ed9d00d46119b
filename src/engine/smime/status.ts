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
import { domainToASCII } from 'node:url';
import type { SignedLayerReport } from './reports.js';

export type MessageStatus = 'valid' | 'invalid' | 'untrusted' | 'mismatch' | 'partially-signed' | 'not-signed';

/**
 * The addresses of a From-like header value ("Name <a@b>, c@d (Comment)"); undefined entries when
 * malformed. RFC 5322 comments (nested, anywhere white space may be) are dropped first, so the older
 * "alice@example.com (Alice)" form is read as alice; a comma or angle bracket inside a quoted
 * display name or a comment separates nothing.
 */
export function parseAddressList(value: string | undefined): Array<string | undefined> {
  if (value === undefined) return [];
  const items: string[] = [];
  let current = '';
  let quoted = false;
  let commentDepth = 0;
  let angle = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\' && (quoted || commentDepth > 0)) {
      // A quoted-pair: the next character is literal (kept in a display name, dropped in a comment).
      if (commentDepth === 0) current += ch + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (commentDepth > 0) {
      if (ch === '(') commentDepth++;
      else if (ch === ')') commentDepth--;
      if (commentDepth === 0) current += ' ';
      continue;
    }
    if (!quoted && ch === '(') {
      commentDepth = 1;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === '<') angle++;
    if (!quoted && ch === '>') angle = Math.max(0, angle - 1);
    if (ch === ',' && !quoted && angle === 0) {
      items.push(current);
      current = '';
    } else current += ch;
  }
  items.push(current);
  const addresses = items
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => {
      const address = (/<([^<>]*)>\s*$/.exec(item)?.[1] ?? item).trim();
      return /^[^\s@<>()",;:]+@[^\s@<>()",;:]+$/.test(address) ? normaliseAddress(address) : undefined;
    });
  // An unclosed comment or quoted string leaves the end of the field unreadable: malformed, whatever came before.
  if (commentDepth > 0 || quoted) addresses.push(undefined);
  return addresses;
}

/** Lower-cased, with the domain in its ASCII (A-label) form (RFC 8398 comparison). */
export function normaliseAddress(address: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = domainToASCII(address.slice(at + 1).toLowerCase()) || address.slice(at + 1).toLowerCase();
  return `${local.toLowerCase()}@${domain}`;
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
