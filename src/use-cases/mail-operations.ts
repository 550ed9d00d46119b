/**
 * The daily operations on stored mail, the same for every front end: delete (to Trash, undone by
 * moving it back), move, archive, the read and follow-up flags, a search of one folder where the
 * mail is kept, and the conversation a message belongs to. They act on the message as stored and
 * never open it: nothing here decrypts, and nothing decrypted reaches the mail server.
 */
import { CachetError } from '../errors.js';
import { ROLE_FOLDERS, roleOf, type FolderName, type Mailbox, type MailSearch } from '../adapters/mail/mailbox.js';
import { listFolder, type FolderEntry } from './folder-listing.js';
import { conversationOf } from './threads.js';

export type DeleteOutcome =
  /** Moved to Trash: `undo` moves it back to where it was. */
  | { kind: 'moved-to-trash'; trash: { folder: FolderName; id: string }; undo: { folder: FolderName; id: string; target: FolderName } }
  /** Deleted from Trash: gone for good. */
  | { kind: 'removed' };

/** A search is bounded: the longest text a criterion may have. */
export const MAX_SEARCH_TEXT = 200;

/** Folder names the client may move into: the mailbox's folders and the roles it creates on first use. */
async function checkTarget(mailbox: Mailbox, target: FolderName): Promise<void> {
  if (target === ROLE_FOLDERS.outbox) throw new CachetError('ERR_USAGE', 'messages are not moved into the Outbox: it holds only mail waiting to be sent');
  if (roleOf(target)) return;
  if (!(await mailbox.folders()).includes(target)) throw new CachetError('ERR_MAIL_NOT_FOUND', `there is no folder "${target}"`, { details: { folder: target } });
}

export async function moveMessage(mailbox: Mailbox, folder: FolderName, id: string, target: FolderName): Promise<{ folder: FolderName; id: string }> {
  await checkTarget(mailbox, target);
  const moved = await mailbox.move(folder, id, target);
  return { folder: target, id: moved };
}

/** Delete as mail clients do: into Trash (kept until emptied, and undone by moving back); in Trash itself, for good. */
export async function deleteMessage(mailbox: Mailbox, folder: FolderName, id: string): Promise<DeleteOutcome> {
  if (folder === ROLE_FOLDERS.trash) {
      await mailbox.remove(folder, id);
    return { kind: 'removed' };
  }
  const trash = await moveMessage(mailbox, folder, id, ROLE_FOLDERS.trash);
  return { kind: 'moved-to-trash', trash, undo: { folder: trash.folder, id: trash.id, target: folder } };
}

export async function archiveMessage(mailbox: Mailbox, folder: FolderName, id: string): Promise<{ folder: FolderName; id: string }> {
  if (folder === ROLE_FOLDERS.archive) throw new CachetError('ERR_USAGE', 'the message is in the Archive already');
  return moveMessage(mailbox, folder, id, ROLE_FOLDERS.archive);
}

export async function setMessageFlags(mailbox: Mailbox, folder: FolderName, id: string, flags: { seen?: boolean; flagged?: boolean }): Promise<void> {
  if (flags.seen === undefined && flags.flagged === undefined) throw new CachetError('ERR_USAGE', 'say which flag to set: seen or flagged');
  await mailbox.setFlags(folder, id, flags);
}

/**
 * A search date as people write it, YYYY-MM-DD (a day, UTC, as IMAP's SENTSINCE/SENTBEFORE count
 * days); undefined when not given.
 * @throws CachetError ERR_USAGE naming the criterion
 */
export function searchDay(name: 'since' | 'before', value: string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : undefined;
  if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value) throw new CachetError('ERR_USAGE', `the ${name} date must be a day written YYYY-MM-DD (not "${value}")`);
  return day;
}

/**
 * Checks a search from outside (the web, the command line): texts bounded and not empty, dates that
 * are dates, at least one criterion.
 * @throws CachetError ERR_USAGE naming the criterion
 */
export function checkSearch(criteria: MailSearch): MailSearch {
  for (const [name, text] of [['from', criteria.from], ['subject', criteria.subject]] as const) {
    if (text !== undefined && (text.trim() === '' || text.length > MAX_SEARCH_TEXT)) throw new CachetError('ERR_USAGE', `the ${name} to search for must be 1 to ${MAX_SEARCH_TEXT} characters`);
  }
  for (const [name, date] of [['since', criteria.since], ['before', criteria.before]] as const) {
    if (date !== undefined && Number.isNaN(date.getTime())) throw new CachetError('ERR_USAGE', `the ${name} date is not a date`);
  }
  if (Object.values(criteria).every((v) => v === undefined)) throw new CachetError('ERR_USAGE', 'say what to search for: sender, subject, dates or attachments');
  return { ...criteria, ...(criteria.from !== undefined ? { from: criteria.from.trim() } : {}), ...(criteria.subject !== undefined ? { subject: criteria.subject.trim() } : {}) };
}

/** The folder's messages that match, searched by the mailbox (IMAP SEARCH on the server), oldest first. */
export async function searchFolder(mailbox: Mailbox, folder: FolderName, criteria: MailSearch): Promise<FolderEntry[]> {
  const ids = await mailbox.search(folder, checkSearch(criteria));
  if (ids.length === 0) return [];
  return listFolder(mailbox, folder, undefined, new Set(ids));
}

/** The folders a conversation is gathered from: the message's own, and the other side of the exchange. */
function conversationFolders(folder: FolderName): FolderName[] {
  const sent = ROLE_FOLDERS.sent;
  return folder === sent ? [sent, ROLE_FOLDERS.inbox] : [folder, sent];
}

/** The conversation of a message, oldest first: its folder and Sent (or, from Sent, the Inbox). */
export async function conversation(mailbox: Mailbox, folder: FolderName, id: string): Promise<FolderEntry[]> {
  const entries: FolderEntry[] = [];
  for (const name of conversationFolders(folder)) {
    try {
      entries.push(...(await listFolder(mailbox, name)));
    } catch (error) {
      // A Sent folder the server does not have yet: the conversation is the folder's own.
      if (name === folder || !(error instanceof CachetError)) throw error;
    }
  }
  const target = entries.find((e) => e.folder === folder && e.id === id);
  if (!target) throw new CachetError('ERR_MAIL_NOT_FOUND', `there is no message ${id} in ${folder}`);
  return conversationOf(entries, target);
}
