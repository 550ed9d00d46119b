/**
 * What the client needs of a mailbox, whether it is the local Maildir (the embedded default) or an
 * IMAP account: folders, messages, saving (to Sent), marking read, watching for new mail.
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
  /** Delivery time. */
  date: Date;
}

export interface Mailbox {
  folders(): Promise<FolderName[]>;
  list(folder: FolderName): Promise<StoredMessageInfo[]>;
  read(folder: FolderName, id: string): Promise<Buffer>;
  stream(folder: FolderName, id: string): Promise<AsyncIterable<Uint8Array>>;
  /** Saves a message (bytes, or content read as it is saved: message-content.ts); returns its id. */
  deliver(folder: FolderName, message: MessageContent, options?: { seen?: boolean }): Promise<string>;
  markSeen(folder: FolderName, id: string): Promise<void>;
  /** Deletes a message for good (a draft replaced by a newer save, or sent); ERR_MAIL_NOT_FOUND (Maildir) when it is not there. */
  remove(folder: FolderName, id: string): Promise<void>;
  find(id: string): Promise<{ folder: FolderName; info: StoredMessageInfo } | undefined>;
  /**
   * Calls `onChange` when the folder changes (new mail), until the returned watch is closed: IMAP IDLE
   * on a connection of its own, or the Maildir's new/ directory. Optional: a mailbox without it is polled.
   */
  watch?(folder: FolderName, onChange: () => void): Promise<MailboxWatch>;
}

export interface MailboxWatch {
  close(): Promise<void>;
}
