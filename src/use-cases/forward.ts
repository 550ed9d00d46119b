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
import { readMimeEntity } from '../engine/mime/entity-reader.js';
import { decodeEncodedWords } from '../engine/mime/headers.js';
import { classifyEntity, isEncryptedKind } from '../engine/smime/entity-kind.js';
import { openMessage } from '../engine/smime/open.js';
import { collectBytes } from '../engine/stream-types.js';
import type { HeaderField } from '../engine/mime/types.js';
import type { FolderName } from '../adapters/mail/mailbox.js';
import { decryptorsOf, readMessage, type ReadContext } from './read.js';
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

/** A file name for the attached message: its subject, made safe, else "message". */
function fileNameOf(subject: string | undefined): string {
  const safe = decodeEncodedWords(subject ?? '').replace(/[^\p{L}\p{N} ._-]/gu, '_').trim().slice(0, 80);
  return `${safe || 'message'}.eml`;
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

export async function forwardedContent(source: ForwardSource, context: ReadContext): Promise<ForwardedContent> {
  const { mailbox } = context.user;
  const entity = await readMimeEntity(await mailbox.stream(source.folder, source.id));
  const encrypted = isEncryptedKind(classifyEntity(entity));
  if (source.mode === 'attachment') {
    const data = encrypted ? await decryptedMessage(source, context, entity.headers.fields) : await collectBounded(await mailbox.stream(source.folder, source.id));
    return { encrypted, attachments: [{ filename: fileNameOf(entity.headers.get('subject')), contentType: 'message/rfc822', data }] };
  }
  const attachments: OutgoingAttachment[] = [];
  let total = 0;
  await readMessage(source.folder, source.id, context, {
    attachments: async (attachment, content) => {
      const data = await collectBounded(content);
      total += data.length;
      if (total > MAX_FORWARDED_BYTES) throw tooLarge();
      attachments.push({ filename: attachment.filename, contentType: attachment.contentType, data });
    },
  });
  return { encrypted, attachments };
}
