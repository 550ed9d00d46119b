/**
 * What a reader shows of a message, found as the message streams (mail parsers such as postal-mime
 * take a whole buffer: a 215 MB message cost 1.3 GB). One walk over the MIME tree, bounded by
 * MIME_LIMITS, sorts every leaf as a mail client does:
 *
 * - a text/plain or text/html part that is not an attachment is displayed: it is kept, with every
 *   multipart and embedded message header around it, in a small skeleton of the message that a mail
 *   parser renders (charsets, format=flowed, alternatives) as it would the whole message;
 * - every other leaf is an attachment: it is counted (its decoded size) and left where it is. Its
 *   content is streamed again from the message, one attachment at a time, by forEachAttachment.
 * - an embedded message (message/rfc822) inside the message is an attachment too, whatever its
 *   Content-Disposition says (nodemailer writes "inline" for a forward as attachment, other clients
 *   none): its text is another message's, never merged into this one's displayed (signed) text. It is
 *   named after its Subject (".eml") when its sender gave it no name. Only a message/rfc822 at the
 *   root that is the wrapper of RFC 8551 §3.1 header protection, whose content is the message
 *   itself (the caller says so: `rootWrapsMessage`), is entered and shown.
 *
 * A text part larger than what is left of MIME_LIMITS.maxDisplayedBytes becomes an attachment too:
 * nothing is cut, nothing is lost.
 */
import { isCachetError } from '../../errors.js';
import { peek, type ByteStream } from '../stream-types.js';
import { decodeEncodedWords, parseContentType, parseHeaderBlock } from './headers.js';
import { readMimeEntity } from './entity-reader.js';
import { MIME_LIMITS, mimeLimitExceeded } from './limits.js';
import { readMultipart } from './multipart.js';
import { decodeTransferEncoding } from './transfer-decoding.js';
import type { MimeEntity, MimeHeaderBlock } from './types.js';

export interface AttachmentPart {
  /** Position among the message's attachments, in document order, from 0. */
  index: number;
  /** From Content-Disposition's filename or Content-Type's name (RFC 2231, RFC 2047 decoded); '' when none. */
  filename: string;
  contentType: string;
  /** Decoded bytes. */
  size: number;
}

export interface DisplayedParts {
  /**
   * The message to render: every multipart header (and a root wrapper's embedded header) and every
   * displayed text part as they were; each attachment an empty application/octet-stream attachment
   * in its place.
   */
  skeleton: Buffer;
  attachments: AttachmentPart[];
  warnings: string[];
  /** Whether a message/rfc822 root was entered as the message itself; forEachAttachment walks the same way. */
  rootWrapsMessage: boolean;
}

/** What an attachment leaves in the skeleton: a parser sees an attachment there, with nothing in it. */
const ATTACHMENT_STUB = Buffer.from('Content-Type: application/octet-stream\r\nContent-Disposition: attachment\r\n\r\n');
/** How much of an embedded message is read for its Subject, the name of a nameless one. */
const EMBEDDED_NAME_BYTES = 64 * 1024;
const IDENTITY_ENCODINGS = new Set(['7bit', '8bit', 'binary']);

interface Walk {
  rootWrapsMessage: boolean;
  /**
   * The message is stored with bare LF line ends. The multipart reader hands on parts in CRLF form,
   * so an attachment's line ends are turned back to LF before it is decoded: its bytes are then the
   * ones other decoders (Python's email package) read from the stored message.
   */
  storedWithLf: boolean;
  parts: number;
  headerBytes: number;
  displayedBytes: number;
  attachments: number;
  warnings: string[];
  /** The skeleton being built (the display walk) or undefined (the attachment walk). */
  skeleton: Buffer[] | undefined;
  attachment(part: AttachmentPart, content: ByteStream): Promise<void>;
}

function dispositionOf(headers: MimeHeaderBlock): string {
  return (headers.get('content-disposition') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The attachment's name as a mail client reads it (the name a sender wrote: not safe as a path). */
function filenameOf(headers: MimeHeaderBlock): string {
  const disposition = headers.get('content-disposition');
  const name = (disposition ? parseContentType(disposition).params['filename'] : undefined) ?? headers.contentType().params['name'] ?? '';
  return decodeEncodedWords(name);
}

/**
 * A file name for an embedded message: its Subject, made safe as a file name, with ".eml"; else
 * "message.eml". Also the name a forward as attachment gives the message it carries.
 */
export function embeddedMessageFileName(subject: string | undefined): string {
  const safe = decodeEncodedWords(subject ?? '').replace(/[^\p{L}\p{N} ._-]/gu, '_').trim().slice(0, 80);
  return `${safe || 'message'}.eml`;
}

/** The Subject of an embedded message, from the first bytes of its (decoded) content; undefined beyond them. */
function embeddedSubject(head: Buffer): string | undefined {
  const text = head.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  if (!end) return undefined;
  try {
    return parseHeaderBlock(head.subarray(0, end.index + end[0].length)).get('subject');
  } catch {
    return undefined;
  }
}

function emit(walk: Walk, bytes: Uint8Array | string): void {
  walk.skeleton?.push(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes));
}

/** CRLF back to LF, as a stream (a CR at the end of a chunk waits for the next). */
async function* crlfToLf(stream: ByteStream): ByteStream {
  let pendingCr = false;
  for await (const chunk of stream) {
    let text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    if (pendingCr) text = `\r${text}`;
    pendingCr = text.endsWith('\r');
    if (pendingCr) text = text.slice(0, -1);
    yield Buffer.from(text.replace(/\r\n/g, '\n'), 'latin1');
  }
  if (pendingCr) yield Buffer.from('\r', 'latin1');
}

/** `canonical`: the entity came through the multipart reader (CRLF form), not straight from the message. */
async function walkEntity(entity: MimeEntity, depth: number, walk: Walk, canonical: boolean): Promise<void> {
  if (++walk.parts > MIME_LIMITS.maxParts) throw mimeLimitExceeded('maxParts', 'the message has too many MIME parts');
  if (depth > MIME_LIMITS.maxDepth) throw mimeLimitExceeded('maxDepth', 'the message nests MIME parts too deeply');
  walk.headerBytes += entity.headerBytes.length;
  if (walk.headerBytes > MIME_LIMITS.maxTotalHeaderBytes) throw mimeLimitExceeded('maxTotalHeaderBytes', 'the header blocks of the message are too large together');
  const type = entity.headers.contentType();
  const disposition = dispositionOf(entity.headers);
  const boundary = type.params['boundary'];
  if (type.type === 'multipart' && boundary) {
    emit(walk, entity.headerBytes);
    await walkMultipart(entity, boundary, depth, walk);
    return;
  }
  if (type.mediaType === 'message/rfc822' && depth === 0 && walk.rootWrapsMessage && disposition !== 'attachment' && IDENTITY_ENCODINGS.has(entity.headers.transferEncoding())) {
    // The root wrapper (RFC 8551 §3.1): the message itself, its parts sorted as the message's are.
    emit(walk, entity.headerBytes);
    await walkEntity(await readMimeEntity(entity.body), depth + 1, walk, canonical);
    return;
  }
  let body = entity.body;
  if ((type.mediaType === 'text/plain' || type.mediaType === 'text/html') && disposition !== 'attachment') {
    // Read one byte past what is left: a part that ends within it is shown whole.
    const { head, ended, stream: rest } = await peek(entity.body, MIME_LIMITS.maxDisplayedBytes - walk.displayedBytes + 1);
    if (ended) {
      emit(walk, entity.headerBytes);
      walk.displayedBytes += head.length;
      emit(walk, head);
      return;
    }
    walk.warnings.push(`a ${type.mediaType} part is too large to show (over ${MIME_LIMITS.maxDisplayedBytes} bytes of text in all): it is offered as an attachment`);
    body = rest;
  }
  if (canonical && walk.storedWithLf) body = crlfToLf(body);
  emit(walk, ATTACHMENT_STUB);
  let decoded = decodeTransferEncoding({ headers: entity.headers, body });
  let filename = filenameOf(entity.headers);
  if (type.mediaType === 'message/rfc822' && filename === '') {
    const { head, stream } = await peek(decoded, EMBEDDED_NAME_BYTES);
    decoded = stream;
    filename = embeddedMessageFileName(embeddedSubject(head));
  }
  const part: AttachmentPart = { index: walk.attachments++, filename, contentType: type.mediaType, size: 0 };
  await walk.attachment(part, decoded);
}

async function walkMultipart(entity: MimeEntity, boundary: string, depth: number, walk: Walk): Promise<void> {
  try {
    for await (const part of readMultipart(entity)) {
      emit(walk, `--${boundary}\r\n`);
      await walkEntity(part, depth + 1, walk, true);
      emit(walk, '\r\n');
    }
  } catch (error) {
    if (!isCachetError(error, 'ERR_MIME_MALFORMED')) throw error;
    // As a mail client does: what could be read is shown; the damage is said, never hidden.
    walk.warnings.push(`part of the message could not be read and is not shown: ${error.message}`);
  }
  emit(walk, `--${boundary}--\r\n`);
}

/** Whether a message's own header block ends its lines with bare LF (stored mail often does). */
function storedWithLf(root: MimeEntity): boolean {
  const header = Buffer.from(root.headerBytes);
  const lf = header.indexOf(0x0a);
  return lf !== -1 && header[lf - 1] !== 0x0d;
}

function newWalk(rootWrapsMessage: boolean, root: MimeEntity, skeleton: Buffer[] | undefined, attachment: Walk['attachment']): Walk {
  return { rootWrapsMessage, storedWithLf: storedWithLf(root), parts: 0, headerBytes: 0, displayedBytes: 0, attachments: 0, warnings: [], skeleton, attachment };
}

/**
 * Sorts a message's parts into what is displayed and what is attached, reading `content()` once.
 * @param options.rootWrapsMessage a message/rfc822 root is this message's own wrapper (open's
 *        `wrapsMessage`), shown; otherwise it is an attachment like any embedded message
 * @throws CachetError ERR_LIMIT_EXCEEDED when the message is beyond one of MIME_LIMITS (details.limit)
 * @example
 * const parts = await readDisplayedParts(() => opened.readContent(), { rootWrapsMessage: opened.wrapsMessage });
 * const email = await PostalMime.parse(parts.skeleton); // email.text, email.html
 */
export async function readDisplayedParts(content: () => ByteStream, { rootWrapsMessage = false }: { rootWrapsMessage?: boolean } = {}): Promise<DisplayedParts> {
  const skeleton: Buffer[] = [];
  const attachments: AttachmentPart[] = [];
  const root = await readMimeEntity(content());
  const walk = newWalk(rootWrapsMessage, root, skeleton, async (part, decoded) => {
    for await (const chunk of decoded) part.size += chunk.length;
    attachments.push(part);
  });
  await walkEntity(root, 0, walk, false);
  return { skeleton: Buffer.concat(skeleton), attachments, warnings: walk.warnings, rootWrapsMessage };
}

/**
 * Streams each attachment's decoded content in turn, from the message `readDisplayedParts` sorted
 * into `parts` (the same bytes: the walk is the same). `visit` reads the content or leaves it (what
 * it leaves unread is skipped), so only the attachment being read is in memory, a chunk at a time.
 */
export async function forEachAttachment(content: ByteStream, parts: DisplayedParts, visit: (attachment: AttachmentPart, content: ByteStream) => Promise<void>): Promise<void> {
  const root = await readMimeEntity(content);
  const walk = newWalk(parts.rootWrapsMessage, root, undefined, async (part, decoded) => visit(parts.attachments[part.index] ?? part, decoded));
  await walkEntity(root, 0, walk, false);
}

export interface PartBody {
  mediaType: string;
  /** The body as stored (transfer encoding not undone), cut at what was left of the budget. */
  body: Buffer;
  /** Whether all of the body is there. */
  complete: boolean;
}

/**
 * The bodies of the parts at `paths` (dotted, as open reports signed and unsigned parts: "1", "2.1"),
 * read as the message streams, `budget` bytes in all, for a reader that shows such parts apart.
 * Embedded messages are not entered (open's parts are multipart children only). A path that is
 * not in the message, or beyond a damaged structure, is simply absent.
 * @throws CachetError ERR_LIMIT_EXCEEDED beyond MIME_LIMITS.maxParts or maxDepth
 */
export async function readPartBodies(content: ByteStream, paths: readonly string[], budget: number = MIME_LIMITS.maxDisplayedBytes): Promise<Map<string, PartBody>> {
  const wanted = new Set(paths);
  const out = new Map<string, PartBody>();
  let left = budget;
  let parts = 0;
  const visit = async (entity: MimeEntity, path: string, depth: number): Promise<void> => {
    if (++parts > MIME_LIMITS.maxParts) throw mimeLimitExceeded('maxParts', 'the message has too many MIME parts');
    if (depth > MIME_LIMITS.maxDepth) throw mimeLimitExceeded('maxDepth', 'the message nests MIME parts too deeply');
    const type = entity.headers.contentType();
    if (wanted.has(path)) {
      const { head, ended } = await peek(entity.body, left + 1);
      const kept = head.subarray(0, Math.min(head.length, left));
      left -= kept.length;
      out.set(path, { mediaType: type.mediaType, body: kept, complete: ended && kept.length === head.length });
      return;
    }
    const below = path === '' ? wanted.size > 0 : [...wanted].some((p) => p.startsWith(`${path}.`));
    if (!below || type.type !== 'multipart' || !type.params['boundary']) return;
    let index = 0;
    try {
      for await (const part of readMultipart(entity)) await visit(part, path === '' ? String(++index) : `${path}.${++index}`, depth + 1);
    } catch (error) {
      if (!isCachetError(error, 'ERR_MIME_MALFORMED')) throw error;
    }
  };
  await visit(await readMimeEntity(content), '', 0);
  return out;
}
