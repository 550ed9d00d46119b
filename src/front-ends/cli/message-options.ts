/**
 * The options of the commands that act on one stored message (`cachet move ID FOLDER`, `delete`,
 * `archive`, `flag`, `reply`, `forward`): the message's id and the folder it is in. The folder is
 * named, not guessed: an IMAP id (UID) is unique only within its folder, and a delete or a move must
 * never reach a message of another folder that happens to have the same id.
 */
import { findMessage, FOLDERS, type Mailbox } from '../../adapters/mail/mailbox.js';
import type { OptionSpec } from './args.js';

export const MESSAGE_OPTIONS = { folder: { type: 'string' } } as const satisfies OptionSpec;

/** The folder a message command acts in: --folder, else the Inbox. */
export function messageFolder(values: { folder?: string | undefined }): string {
  return values.folder ?? FOLDERS[0];
}

/**
 * The folder of a message the reading commands (read, import-from-mail, addressbook import) take by
 * id: --folder, else the Inbox's or the one folder's holding that id (findMessage), else the Inbox.
 */
export async function folderHolding(mailbox: Pick<Mailbox, 'folders' | 'list'>, id: string, values: { folder?: string | undefined }): Promise<string> {
  return values.folder ?? (await findMessage(mailbox, id))?.folder ?? FOLDERS[0];
}

/** For the usage lines: `[--folder F]` and what it defaults to. */
export const FOLDER_HELP = '--folder F   the folder the message is in (default INBOX; ids are listed by "cachet inbox --folder F")';
