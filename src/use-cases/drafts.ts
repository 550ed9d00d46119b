/**
 * Drafts kept while composing, never in clear on the server: each save is an S/MIME enveloped
 * message to the author's own encryption certificate, stored in the Drafts folder (the Maildir's, or
 * the IMAP account's \Drafts), replacing the previous save. A user without an encryption certificate
 * gets "not stored" with the reason, and the front end keeps the draft on the user's side only.
 *
 * The encrypted entity is a whole message (To, Cc, Bcc, Subject, the text, and which message it
 * replies to), so that another S/MIME client holding the same key can open it too; outside it only
 * From, Date and a neutral Subject are written.
 */
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import PostalMime from 'postal-mime';
import { CachetError, isCachetError } from '../errors.js';
import { encryptEntity } from '../engine/smime/encrypt.js';
import { openMessage } from '../engine/smime/open.js';
import { MIME_LIMITS } from '../engine/mime/limits.js';
import { collectBytes, toByteStream } from '../engine/stream-types.js';
import type { CredentialStore } from '../adapters/keys/credential-store.js';
import type { EffectivePolicy } from '../adapters/policy/policy.js';
import { chosenCredential } from './credential-choice.js';
import { decryptorsOf } from './read.js';
import type { LocalUser } from './users.js';

export const DRAFTS_FOLDER = 'Drafts';
/** A draft is typed text: a bigger one is refused before it is encrypted (the upload limit is for attachments). */
export const MAX_DRAFT_TEXT_BYTES = 1024 * 1024;
/** A stored draft larger than this (another client's, with attachments) is not opened into Compose. */
export const MAX_STORED_DRAFT_BYTES = 8 * 1024 * 1024;
/** The Subject written outside the encryption: the real one is inside. */
export const DRAFT_OUTER_SUBJECT = 'Draft (encrypted)';

const REPLY_FOLDER_HEADER = 'X-Cachet-Reply-Folder';
const REPLY_ID_HEADER = 'X-Cachet-Reply-Id';

export interface DraftContent {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  body: string;
  /** The message this draft answers, so that sending it later still threads and keeps the reply rules. */
  replyTo: { folder: string; id: string } | null;
}

export interface DraftContext {
  user: LocalUser;
  policy: EffectivePolicy;
  store: () => Promise<CredentialStore>;
  now?: Date;
}

export type DraftSaveOutcome =
  | { kind: 'saved'; id: string; savedAt: string }
  /** Nothing was written to the server: `reason` says why (no encryption certificate, keys locked). */
  | { kind: 'not-stored'; reason: string };

function textBytes(content: DraftContent): number {
  return Buffer.byteLength([...content.to, ...content.cc, ...content.bcc, content.subject, content.body].join('\n'));
}

async function composeDraft(user: LocalUser, content: DraftContent, date: Date): Promise<Buffer> {
  const composer = new MailComposer({
    from: { name: user.name, address: user.address },
    to: content.to,
    cc: content.cc,
    bcc: content.bcc,
    subject: content.subject,
    date,
    text: content.body,
    headers: content.replyTo ? { [REPLY_FOLDER_HEADER]: content.replyTo.folder, [REPLY_ID_HEADER]: content.replyTo.id } : {},
  });
  const node = composer.compile();
  // Bcc is written in a draft (it is the author's own copy, and encrypted): it would be lost otherwise.
  (node as unknown as { keepBcc: boolean }).keepBcc = true;
  return new Promise((resolve, reject) => node.build((error, message) => (error ? reject(error) : resolve(message))));
}

/**
 * Saves a draft encrypted to the author, then deletes the save it replaces (`replaces`, the id an
 * earlier save returned): a failure in between leaves two copies, never none.
 * @throws CachetError ERR_LIMIT_EXCEEDED for text over MAX_DRAFT_TEXT_BYTES
 * @example
 *   const saved = await saveDraft(content, { user, policy, store }, previous?.id);
 *   if (saved.kind === 'not-stored') tellUser(saved.reason);
 */
export async function saveDraft(content: DraftContent, context: DraftContext, replaces?: string): Promise<DraftSaveOutcome> {
  if (textBytes(content) > MAX_DRAFT_TEXT_BYTES) throw new CachetError('ERR_LIMIT_EXCEEDED', `a draft holds at most ${MAX_DRAFT_TEXT_BYTES / 1024} KiB of text`);
  let own;
  try {
    own = await chosenCredential(await context.store(), context.policy, 'encryption', context.user.address);
  } catch (error) {
    // No vault yet: no certificate. Keys that cannot be opened now (a token not unlocked, a stopped
    // vault service): not stored either, and why.
    if (!isCachetError(error)) throw error;
    if (error.code !== 'ERR_VAULT_NOT_FOUND') return { kind: 'not-stored', reason: `your keys cannot be used now (${error.message}), so the draft is not saved on the server` };
  }
  if (!own) return { kind: 'not-stored', reason: 'you have no encryption certificate, so the draft cannot be saved encrypted on the server' };
  const date = context.now ?? new Date();
  const inner = await composeDraft(context.user, content, date);
  const domain = context.user.address.split('@')[1] ?? 'localhost';
  const outer =
    `From: ${context.user.address}\r\n` +
    `Date: ${date.toUTCString().replace(/GMT$/, '+0000')}\r\n` +
    `Subject: ${DRAFT_OUTER_SUBJECT}\r\n` +
    `Message-ID: <draft.${randomBytes(12).toString('hex')}@${domain}>\r\n` +
    'MIME-Version: 1.0\r\n';
  const sealed = await collectBytes(encryptEntity(toByteStream(inner), { recipients: [{ certificate: own.certificate }], cipher: 'aes-256-gcm' }));
  const id = await context.user.mailbox.deliver(DRAFTS_FOLDER, Buffer.concat([Buffer.from(outer, 'latin1'), sealed]), { seen: true });
  if (replaces && replaces !== id) await deleteDraft(replaces, context);
  return { kind: 'saved', id, savedAt: date.toISOString() };
}

/**
 * Opens a stored draft (decrypted with the author's keys) to continue it.
 * @throws CachetError ERR_MAIL_NOT_FOUND when there is no such draft, ERR_LIMIT_EXCEEDED for one over MAX_STORED_DRAFT_BYTES
 */
export async function openDraft(id: string, context: DraftContext): Promise<DraftContent> {
  const info = (await context.user.mailbox.list(DRAFTS_FOLDER)).find((m) => m.id === id);
  if (!info) throw new CachetError('ERR_MAIL_NOT_FOUND', 'there is no such draft (it was sent or deleted)');
  if (info.size > MAX_STORED_DRAFT_BYTES) throw new CachetError('ERR_LIMIT_EXCEEDED', `this draft is larger than ${MAX_STORED_DRAFT_BYTES / 1024 / 1024} MiB and is not opened here`);
  const opened = await openMessage(await context.user.mailbox.stream(DRAFTS_FOLDER, id), { decryptors: async () => decryptorsOf(await context.store()) });
  try {
    const inner = await collectBytes(opened.readContent());
    const parsed = await PostalMime.parse(inner, { maxRfc822NestingDepth: MIME_LIMITS.maxDepth });
    const addresses = (list: Array<{ address?: string; group?: Array<{ address?: string }> }> | undefined): string[] =>
      (list ?? []).flatMap((a) => (a.group ? a.group.map((g) => g.address ?? '') : [a.address ?? ''])).filter((a) => a.length > 0);
    const header = (name: string) => parsed.headers.find((h) => h.key === name.toLowerCase())?.value.trim();
    const replyFolder = header(REPLY_FOLDER_HEADER);
    const replyId = header(REPLY_ID_HEADER);
    return {
      to: addresses(parsed.to),
      cc: addresses(parsed.cc),
      bcc: addresses(parsed.bcc),
      subject: parsed.subject ?? '',
      body: (parsed.text ?? '').replace(/\r\n/g, '\n').replace(/\n$/, ''),
      replyTo: replyFolder && replyId ? { folder: replyFolder, id: replyId } : null,
    };
  } finally {
    await opened.dispose();
  }
}

/** Deletes a draft (sent, or discarded by its author); one already gone is no error. */
export async function deleteDraft(id: string, context: Pick<DraftContext, 'user'>): Promise<void> {
  try {
    await context.user.mailbox.remove(DRAFTS_FOLDER, id);
  } catch (error) {
    if (!isCachetError(error, 'ERR_MAIL_NOT_FOUND')) throw error;
  }
}
