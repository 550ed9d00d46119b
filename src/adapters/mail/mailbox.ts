/**
 * What the client needs of a mailbox, whether it is the local Maildir (the embedded default) or an
 * IMAP account: folders (with their roles and counts), messages, saving (to Sent), flags (read,
 * flagged), moving between folders, removing, searching a folder, watching for new mail.
 */
import type { MessageContent } from './message-content.js';

/** The folders the client uses: a local Maildir has them all; an IMAP account names its own. */
export const FOLDERS = ['INBOX', 'Sent', 'Drafts', 'Outbox'] as const;
export type FolderName = (typeof FOLDERS)[number] | string;

export interface StoredMessageInfo {
  id: string;
  folder: FolderName;
  size: number;
  seen: boolean;
  /** Marked for follow-up (IMAP \Flagged, Maildir F). */
  flagged: boolean;
  /** Delivery time. */
  date: Date;
}

/**
 * What a folder is for, whatever the server calls it (RFC 6154 special use): the client names such a
 * folder by its role's name (Sent, Trash, Archive…) and the IMAP adapter maps it to the server's path.
 */
export type FolderRole = 'inbox' | 'sent' | 'drafts' | 'trash' | 'junk' | 'archive' | 'outbox';

/** The role's folder name, as the client uses it. */
export const ROLE_FOLDERS: Readonly<Record<FolderRole, FolderName>> = {
  inbox: 'INBOX',
  sent: 'Sent',
  drafts: 'Drafts',
  trash: 'Trash',
  junk: 'Junk',
  archive: 'Archive',
  outbox: 'Outbox',
};

export function roleOf(folder: FolderName): FolderRole | null {
  for (const [role, name] of Object.entries(ROLE_FOLDERS) as Array<[FolderRole, FolderName]>) if (name === folder) return role;
  return null;
}

export interface FolderStatus {
  name: FolderName;
  role: FolderRole | null;
  total: number;
  unread: number;
}

/** What a search of one folder asks for: every criterion given must match (substrings, case-insensitive). */
export interface MailSearch {
  from?: string;
  subject?: string;
  /** The Date header field (when sent), on or after this day. */
  since?: Date;
  /** The Date header field, before this day. */
  before?: Date;
  /** Has a part that is an attachment: only visible in a message whose structure is not encrypted. */
  hasAttachment?: boolean;
}

export interface Mailbox {
  folders(): Promise<FolderName[]>;
  /** Every folder with its role and its counts (IMAP STATUS; the Maildir counts its files). */
  folderStatus(): Promise<FolderStatus[]>;
  list(folder: FolderName): Promise<StoredMessageInfo[]>;
  read(folder: FolderName, id: string): Promise<Buffer>;
  stream(folder: FolderName, id: string): Promise<AsyncIterable<Uint8Array>>;
  /** Saves a message (bytes, or content read as it is saved: message-content.ts); returns its id. */
  deliver(folder: FolderName, message: MessageContent, options?: { seen?: boolean }): Promise<string>;
  markSeen(folder: FolderName, id: string): Promise<void>;
  /** Sets or clears the read and follow-up flags; a flag left undefined stays as it is. */
  setFlags(folder: FolderName, id: string, flags: { seen?: boolean; flagged?: boolean }): Promise<void>;
  /** Moves a message into `target` (a role's folder is created when missing); returns its id there. */
  move(folder: FolderName, id: string, target: FolderName): Promise<string>;
  /** Deletes a message for good (a draft replaced by a newer save, or sent, a message deleted in Trash); ERR_MAIL_NOT_FOUND when it is not there. */
  remove(folder: FolderName, id: string): Promise<void>;
  /** The ids of the folder's messages that match, searched where the mail is (IMAP SEARCH on the server). */
  search(folder: FolderName, criteria: MailSearch): Promise<string[]>;
  /**
   * Calls `onChange` when the folder changes (new mail), until the returned watch is closed: IMAP IDLE
   * on a connection of its own, or the Maildir's new/ directory. Optional: a mailbox without it is polled.
   */
  watch?(folder: FolderName, onChange: () => void): Promise<MailboxWatch>;
}

/**
 * The folder of a message named by its id alone (`cachet read ID` without --folder): the INBOX when
 * it has that id (what `cachet inbox` lists), else the one other folder that does. An IMAP id is a
 * UID, unique only within its folder (INBOX and Sent both have a 5), so an id several other folders
 * hold names none of them: undefined, and the caller says to name the folder.
 */
export async function findMessage(mailbox: Pick<Mailbox, 'folders' | 'list'>, id: string): Promise<{ folder: FolderName; info: StoredMessageInfo } | undefined> {
  const inInbox = (await mailbox.list('INBOX').catch(() => [])).find((m) => m.id === id);
  if (inInbox) return { folder: 'INBOX', info: inInbox };
  const found: Array<{ folder: FolderName; info: StoredMessageInfo }> = [];
  for (const folder of await mailbox.folders()) {
    if (folder === 'INBOX') continue;
    const info = (await mailbox.list(folder)).find((m) => m.id === id);
    if (info) found.push({ folder, info });
  }
  return found.length === 1 ? found[0] : undefined;
}

export interface MailboxWatch {
  close(): Promise<void>;
}
