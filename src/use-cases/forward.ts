/**
 * What a forward carries besides the user's own text, and whether it carries encrypted content:
 *
 * - as attachment: the original as message/rfc822. A message stored in clear is attached exactly as
 *   stored (a signature in it still verifies for the recipients). An encrypted one is attached as
 *   decrypted — its header fields from inside the encryption when it protects them, the content as
 *   opened (the sender's signature, checked when the user read it, is not carried) — so the forward
 *   must go out encrypted to its own recipients: `encrypted` says so, and sending (send.ts) refuses
 *   to let it go in clear unless the user explicitly chooses to.
 * - inline: the user's text quotes the original (the client writes the quote); its attachments are
 *   attached again, as decrypted, under the same rule.
 */
import { CachetError } from '../errors.js';
import { embeddedMessageFileName } from '../engine/mime/displayed-parts.js';
import { readMimeEntity } from '../engine/mime/entity-reader.js';
import { decodeEncodedWords } from '../engine/mime/headers.js';
import { classifyEntity, isEncryptedKind } from '../engine/smime/entity-kind.js';
import { openMessage } from '../engine/smime/open.js';
import { collectBytes, toByteStream } from '../engine/stream-types.js';
import type { HeaderField } from '../engine/mime/types.js';
import type { FolderName } from '../adapters/mail/mailbox.js';
import { decryptorsOf, readMessage, type ReadContext, type ReadResult } from './read.js';
import type { OutgoingAttachment } from './send.js';

export type ForwardMode = 'inline' | 'attachment';

export interface ForwardSource {
  folder: FolderName;
  id: string;
  mode: ForwardMode;
}

export interface ForwardedContent {
  attachments: OutgoingAttachment[];
  /** The original was encrypted: what is forwarded must not go out in clear unless the user says so. */
  encrypted: boolean;
  /** The original's Subject as its reader sees it: the protected one, not an outer "[...]". */
  subject: string;
  /**
   * Inline: the original's header and displayed text, as a forward's text ends with them (see
   * {@link inlineForwardText}); null for a forward as attachment, which carries the original whole.
   */
  quote: string | null;
}

/** The most a forward takes from the original, attachments included: as much as one upload may be. */
export const MAX_FORWARDED_BYTES = 64 * 1024 * 1024;

/** Header fields of the original that travel with it in the attached message/rfc822. */
const CARRIED_FIELDS = new Set(['date', 'from', 'sender', 'reply-to', 'to', 'cc', 'subject', 'message-id', 'in-reply-to', 'references']);

function tooLarge(): CachetError {
  return new CachetError('ERR_LIMIT_EXCEEDED', `the message is too large to forward (more than ${MAX_FORWARDED_BYTES / 1024 / 1024} MiB with its attachments)`, { details: { limit: MAX_FORWARDED_BYTES } });
}

async function collectBounded(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  try {
    return await collectBytes(stream, MAX_FORWARDED_BYTES);
  } catch (error) {
    if (error instanceof RangeError) throw tooLarge();
    throw error;
  }
}

/** An encrypted original as the message its sender wrote: the carried header fields (inner first), then the opened content. */
async function decryptedMessage(source: ForwardSource, context: ReadContext, outer: readonly HeaderField[]): Promise<Buffer> {
  const opened = await openMessage(await context.user.mailbox.stream(source.folder, source.id), {
    decryptors: async () => decryptorsOf(typeof context.store === 'function' ? await context.store() : context.store),
  });
  try {
    const inner = await readMimeEntity(opened.readContent());
    const carried = (fields: readonly HeaderField[]) => fields.filter((f) => CARRIED_FIELDS.has(f.name.toLowerCase()));
    const innerCarried = carried(inner.headers.fields);
    const innerNames = new Set(innerCarried.map((f) => f.name.toLowerCase()));
    // A protected header (RFC 9788) names the real Subject inside; an outer "[...]" never replaces it.
    const header = [...carried(outer).filter((f) => !innerNames.has(f.name.toLowerCase())), ...innerCarried];
    const content = inner.headers.fields.filter((f) => /^(content-|mime-version$)/i.test(f.name));
    const body = await collectBounded(inner.body);
    return Buffer.concat([...header.map((f) => Buffer.from(f.raw)), ...content.map((f) => Buffer.from(f.raw)), Buffer.from('\r\n'), body]);
  } finally {
    await opened.dispose();
  }
}

/**
 * The text of a forward: the user's, or a line saying what is attached. Never empty: a message that
 * is nothing but a message/rfc822 part reads as the wrapper of an older header protection (RFC 8551
 * §3.1), whose inner header a reader would show as this message's own.
 */
export function forwardText(userText: string): string {
  return userText.trim() === '' ? 'Forwarded message attached.' : userText;
}

/** A forward's Subject: the original's, with one "Fwd: " in front. */
export function forwardSubject(subject: string): string {
  return `Fwd: ${subject.replace(/^((fwd?|fw):\s*)+/i, '')}`;
}

/** The quote an inline forward ends with: the original's header fields a reader sees, then its text. */
export function forwardQuote(result: Pick<ReadResult, 'report' | 'text' | 'partiallySigned'>): string {
  const { headers } = result.report;
  // A partially-signed message's text is its signed parts' (what the reader was shown as the message).
  const text = result.partiallySigned ? result.partiallySigned.signedText : (result.text ?? '');
  return [
    '---------- Forwarded message ----------',
    `From: ${headers.from ?? ''}`,
    ...(headers.date ? [`Date: ${headers.date}`] : []),
    `Subject: ${headers.subject ?? ''}`,
    `To: ${headers.to ?? ''}`,
    ...(headers.cc ? [`Cc: ${headers.cc}`] : []),
    '',
    text,
  ].join('\n');
}

/** An inline forward's text: the user's, then the quote of the original. */
export function inlineForwardText(userText: string, forwarded: ForwardedContent): string {
  return forwarded.quote === null ? forwardText(userText) : `${userText.replace(/\s+$/, '')}\n\n${forwarded.quote}`;
}

export async function forwardedContent(source: ForwardSource, context: ReadContext): Promise<ForwardedContent> {
  const { mailbox } = context.user;
  const entity = await readMimeEntity(await mailbox.stream(source.folder, source.id));
  const encrypted = isEncryptedKind(classifyEntity(entity));
  if (source.mode === 'attachment') {
    const data = encrypted ? await decryptedMessage(source, context, entity.headers.fields) : await collectBounded(await mailbox.stream(source.folder, source.id));
    // Named after the Subject it carries: for an encrypted original the protected one, from inside.
    const subject = encrypted ? (await readMimeEntity(toByteStream(data))).headers.get('subject') : entity.headers.get('subject');
    return { encrypted, subject: decodeEncodedWords(subject ?? ''), quote: null, attachments: [{ filename: embeddedMessageFileName(subject), contentType: 'message/rfc822', data }] };
  }
  const attachments: OutgoingAttachment[] = [];
  let total = 0;
  const read = await readMessage(source.folder, source.id, context, {
    attachments: async (attachment, content) => {
      const data = await collectBounded(content);
      total += data.length;
      if (total > MAX_FORWARDED_BYTES) throw tooLarge();
      attachments.push({ filename: attachment.filename, contentType: attachment.contentType, data });
    },
  });
  return { encrypted, subject: read.report.headers.subject ?? '', quote: forwardQuote(read), attachments };
}
