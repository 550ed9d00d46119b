/** cachet folders [--json] — every folder of the mailbox with its role and counts. */
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { withUserSession, USER_OPTIONS } from '../user-session.js';
import { oneLine } from '../terminal-text.js';

const command: CliCommand = {
  help: `usage: cachet folders [--json] [--as USER]

Lists the folders of your mailbox (the local Maildir, or your IMAP account with one LIST … STATUS),
each with its role (RFC 6154: inbox, sent, drafts, trash, junk, archive; outbox), how many messages
it holds and how many are unread.`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, { ...USER_OPTIONS, json: { type: 'boolean' } });
    const folders = await withUserSession(context, { as: values.as }, (session) => session.user.mailbox.folderStatus());
    if (values.json) {
      context.stdout.write(`${JSON.stringify({ folders })}\n`);
      return 0;
    }
    const width = Math.max(6, ...folders.map((f) => oneLine(f.name).length));
    context.stdout.write(`${'folder'.padEnd(width)}  ${'role'.padEnd(7)}  ${'total'.padStart(6)}  ${'unread'.padStart(6)}\n`);
    for (const f of folders) context.stdout.write(`${oneLine(f.name).padEnd(width)}  ${(f.role ?? '-').padEnd(7)}  ${String(f.total).padStart(6)}  ${String(f.unread).padStart(6)}\n`);
    return 0;
  },
};

export default command;
