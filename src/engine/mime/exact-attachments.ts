/**
 * Attachments with their exact bytes, for a display parser that does not keep them: postal-mime 4.0
 * decodes quoted-printable line by line and ends every line it did not see soft-broken with LF, so
 * (1) the line break before the next boundary, which belongs to the boundary (RFC 2046 §5.1.1), comes
 * out as one extra byte at the end of the attachment, and (2) every hard line break comes out as LF,
 * where RFC 2045 §6.7 rule 5 says a hard line break is CRLF in the canonical form.
 *
 * So before such a parser sees a message, each quoted-printable part it would treat as an attachment
 * is decoded here — over the part's own bytes as parseMimeTree delimits them — and handed on as base64,
 * which it decodes exactly. Inline text/plain and text/html bodies stay as they are (a trailing newline
 * there changes nothing shown). Parts inside an attached message/rfc822 are not rewritten.
 */
import { isCachetError } from '../errors.js';
import { parseMimeTree, type MimePart } from './mime-tree.js';
import { quotedPrintableDecode } from './quoted-printable.js';

/** postal-mime's rule (isInlineTextNode): inline text/plain and text/html become the body, all else an attachment. */
function isDisplayedAsAttachment(part: MimePart): boolean {
  const disposition = (part.headers.get('content-disposition') ?? '').split(';')[0]!.trim().toLowerCase();
  const type = part.headers.contentType().mediaType;
  if (type.startsWith('multipart/') || type === 'message/rfc822') return false;
  return disposition === 'attachment' || (type !== 'text/plain' && type !== 'text/html');
}

function quotedPrintableAttachments(part: MimePart, out: MimePart[]): MimePart[] {
  if (part.children.length > 0) {
    for (const child of part.children) quotedPrintableAttachments(child, out);
  } else if (part.headers.transferEncoding() === 'quoted-printable' && isDisplayedAsAttachment(part)) {
    out.push(part);
  }
  return out;
}

function base64Lines(bytes: Buffer): string {
  const encoded = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return lines.join('\r\n');
}

/** The part again, its header fields as they were but Content-Transfer-Encoding, its body in base64. */
function asBase64(part: MimePart): Buffer {
  const fields = part.headers.fields.filter((f) => f.name.toLowerCase() !== 'content-transfer-encoding').map((f) => Buffer.from(f.raw));
  return Buffer.concat([...fields, Buffer.from(`Content-Transfer-Encoding: base64\r\n\r\n${base64Lines(quotedPrintableDecode(part.body))}`, 'latin1')]);
}

/**
 * The message with every quoted-printable attachment re-encoded as base64 (same decoded bytes).
 * A message the MIME tree cannot read (over its limits, damaged at the root) is returned unchanged:
 * this only corrects a display parser, it does not judge the message.
 */
export function withExactAttachmentEncoding(message: Buffer): Buffer {
  let root: MimePart;
  try {
    root = parseMimeTree(message);
  } catch (error) {
    if (isCachetError(error)) return message;
    throw error;
  }
  const parts = quotedPrintableAttachments(root, []);
  if (parts.length === 0) return message;
  const pieces: Buffer[] = [];
  let position = 0;
  for (const part of parts) {
    // Every part is a view into `message`, so its offset there is where it is spliced.
    const start = part.bytes.byteOffset - message.byteOffset;
    pieces.push(message.subarray(position, start), asBase64(part));
    position = start + part.bytes.length;
  }
  pieces.push(message.subarray(position));
  return Buffer.concat(pieces);
}
