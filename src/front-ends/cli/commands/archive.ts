/** cachet archive ID [--folder F] [--json] — moves a message into the Archive folder. */
import { archiveMessage } from '../../../use-cases/mail-operations.js';
import { onlyArgument, parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { FOLDER_HELP, MESSAGE_OPTIONS, messageFolder } from '../message-options.js';
import { withUserSession, USER_OPTIONS } from '../user-session.js';
import { oneLine } from '../terminal-text.js';

const command: CliCommand = {
  help: `usage: cachet archive ID [--folder F] [--json] [--as USER]

Moves the message into the Archive folder (made on first use, with the archive role on IMAP).
Prints its id there.
  ${FOLDER_HELP}`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, { ...USER_OPTIONS, ...MESSAGE_OPTIONS, json: { type: 'boolean' } }, { positionals: true });
    const id = onlyArgument(positionals, 'name the message to archive: cachet archive ID');
    const folder = messageFolder(values);
    const archived = await withUserSession(context, { as: values.as }, (session) => archiveMessage(session.user.mailbox, folder, id));
    context.stdout.write(values.json ? `${JSON.stringify({ from: { folder, id }, to: archived })}\n` : `archived as ${oneLine(archived.id)} in ${oneLine(archived.folder)}\n`);
    return 0;
  },
};

export default command;
