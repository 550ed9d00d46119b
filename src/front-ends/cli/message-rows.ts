/**
 * A folder's messages as the mail commands print them (`cachet inbox`, `cachet search`): one line
 * each — unread mark, id, outer form (E encrypted, S signed), sender, subject — every value from the
 * message kept to its line (terminal-text.ts).
 */
import type { FolderEntry } from '../../use-cases/folder-listing.js';
import { oneLine } from './terminal-text.js';

export function messageRow(entry: FolderEntry): string {
  return `${entry.seen ? ' ' : '*'} ${entry.id}  ${entry.encrypted ? 'E' : ' '}${entry.signed ? 'S' : ' '} ${oneLine(entry.from).padEnd(30).slice(0, 30)}  ${oneLine(entry.subject)}\n`;
}
