/**
 * Whether a message has an attachment, decided once from its MIME structure, whether that structure
 * comes from the IMAP server (BODYSTRUCTURE) or from the Maildir file: a part the sender marked as an
 * attachment, or any leaf that is not text (a PDF, an image, a forwarded message/rfc822) unless it is
 * marked inline. An S/MIME encrypted or opaque-signed body shows no structure at all: it never counts
 * as having one (the server cannot know, and Cachet does not guess).
 */

export interface PartShape {
  /** Media type, e.g. "multipart/mixed". */
  type: string;
  /** Content-Disposition value ("attachment", "inline"), when given. */
  disposition?: string | undefined;
  children: PartShape[];
}

const OPAQUE = new Set(['application/pkcs7-mime', 'application/x-pkcs7-mime']);
const SIGNATURE = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature']);

export function hasAttachmentPart(part: PartShape): boolean {
  const type = part.type.toLowerCase();
  const disposition = part.disposition?.toLowerCase();
  if (OPAQUE.has(type) || SIGNATURE.has(type)) return false;
  // multipart/signed: its second part is the signature itself, not something the sender attached.
  if (type === 'multipart/signed') return part.children[0] ? hasAttachmentPart(part.children[0]) : false;
  if (type.startsWith('multipart/')) return part.children.some(hasAttachmentPart);
  if (disposition === 'attachment') return true;
  if (disposition === 'inline') return false;
  return !type.startsWith('text/');
}
