/**
 * A folder as a list shows it, from each message's outer header only: who, what, when, and what the
 * outer form says (encrypted, signed) — a verified status needs the message opened (read.ts). A
 * retry after a lost SMTP acknowledgement can deliver a message twice: the same Message-ID is listed
 * once, so sending is idempotent as the user sees it.
 */
import { readMimeEntity } from '../engine/mime/entity-reader.js';
import { displayAddressList } from '../engine/mime/addresses.js';
import { decodeEncodedWords } from '../engine/mime/headers.js';
import { classifyEntity, isEncryptedKind } from '../engine/smime/entity-kind.js';
import { layerOf } from '../engine/smime/open.js';
import type { FolderName, StoredMessageInfo } from '../adapters/mail/mailbox.js';
import type { Mailbox } from '../adapters/mail/mailbox.js';
import type { MimeHeaderBlock } from '../engine/mime/types.js';

export interface FolderEntry {
  id: string;
  folder: FolderName;
  from: string;
  to: string;
  subject: string;
  date: string;
  /**
   * The outer layer only, as opening it would take it (open.ts layerOf: a pkcs7-mime body's own
   * content type, not its label, so a signed message labelled enveloped-data is not listed as
   * encrypted); whether the encryption or signature holds is known once the message is opened.
   */
  encrypted: boolean;
  signed: boolean;
  seen: boolean;
  flagged: boolean;
  size: number;
  /** Its Message-ID, and the ids it answers (References, else In-Reply-To): what threads it (threads.ts). */
  messageId: string | null;
  references: string[];
}

/** The message ids (`<…>`) of a header field value. */
export function messageIdsOf(value: string | undefined): string[] {
  return (value ?? '').match(/<[^<>\s]+>/g) ?? [];
}

function entryOf(info: StoredMessageInfo, folder: FolderName, headers: MimeHeaderBlock, kind: { encrypted: boolean; signed: boolean }): FolderEntry {
  return {
    id: info.id,
    folder,
    // Parsed before decoding (addresses.ts): an encoded-word never shows as an address in the list.
    from: displayAddressList(headers.get('from') ?? ''),
    to: decodeEncodedWords(headers.get('to') ?? ''),
    subject: decodeEncodedWords(headers.get('subject') ?? ''),
    date: headers.get('date') ?? info.date.toISOString(),
    encrypted: kind.encrypted,
    signed: kind.signed,
    seen: info.seen,
    flagged: info.flagged,
    size: info.size,
    messageId: messageIdsOf(headers.get('message-id'))[0] ?? null,
    references: messageIdsOf(headers.get('references') ?? headers.get('in-reply-to')),
  };
}


/** The folder's messages, oldest first; `progress` is told after each one; `only`: just these ids. */
export async function listFolder(mailbox: Mailbox, folder: FolderName, progress?: (done: number, total: number) => void, only?: ReadonlySet<string>): Promise<FolderEntry[]> {
  const messages = (await mailbox.list(folder)).filter((m) => !only || only.has(m.id));
  const seenMessageIds = new Set<string>();
  const rows: FolderEntry[] = [];
  for (const [index, info] of messages.entries()) {
    progress?.(index + 1, messages.length);
    const entity = await readMimeEntity(await mailbox.stream(folder, info.id));
    const messageId = entity.headers.get('message-id');
    if (messageId) {
      if (seenMessageIds.has(messageId)) continue;
      seenMessageIds.add(messageId);
    }
    const { kind } = await layerOf(entity);
    rows.push(entryOf(info, folder, entity.headers, { encrypted: kind === 'encrypted', signed: kind === 'signed' }));
  }
  return rows;
}

/** A thread is at most this many ids long in References: the oldest (the thread's start) and the newest are kept. */
const MAX_REFERENCES = 20;

export interface ReplyContext {
  /** The message replied to was encrypted: its quote must not go out in clear. */
  encrypted: boolean;
  /** Its Message-ID (the reply's In-Reply-To), when it has one. */
  messageId: string | null;
  /** The reply's References (RFC 5322 §3.6.4): the original's References, then its Message-ID. */
  references: string[];
}

/** What a reply takes from the message it answers, from that message's outer header. */
export async function replyContext(mailbox: Mailbox, folder: FolderName, id: string): Promise<ReplyContext> {
  const entity = await readMimeEntity(await mailbox.stream(folder, id));
  const messageId = messageIdsOf(entity.headers.get('message-id'))[0] ?? null;
  let references = [...messageIdsOf(entity.headers.get('references') ?? entity.headers.get('in-reply-to')), ...(messageId ? [messageId] : [])];
  if (references.length > MAX_REFERENCES) references = [references[0]!, ...references.slice(-(MAX_REFERENCES - 1))];
  // Either word is enough here: a label's claim of encryption keeps a reply from going out in clear,
  // and so does encrypted content without a label (Outlook's untyped pkcs7-mime).
  const encrypted = isEncryptedKind(classifyEntity(entity)) || (await layerOf(entity)).kind === 'encrypted';
  return { encrypted, messageId, references };
}
