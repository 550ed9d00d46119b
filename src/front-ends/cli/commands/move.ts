/** cachet move ID FOLDER [--folder F] [--json] — moves a message into another folder. */
import { CachetError } from '../../../errors.js';
import { moveMessage } from '../../../use-cases/mail-operations.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { FOLDER_HELP, MESSAGE_OPTIONS, messageFolder } from '../message-options.js';
import { withUserSession, USER_OPTIONS } from '../user-session.js';
import { oneLine } from '../terminal-text.js';

const command: CliCommand = {
  help: `usage: cachet move ID FOLDER [--folder F] [--json] [--as USER]

Moves the message into FOLDER: one of your folders ("cachet folders"), or a role's folder (Trash,
Archive, Junk…), made on first use. Nothing is moved into the Outbox. Prints the message's new id.
  ${FOLDER_HELP}`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, { ...USER_OPTIONS, ...MESSAGE_OPTIONS, json: { type: 'boolean' } }, { positionals: true });
    const [id, target, extra] = positionals;
    if (id === undefined || target === undefined) throw new CachetError('ERR_USAGE', 'usage: cachet move ID FOLDER');
    if (extra !== undefined) throw new CachetError('ERR_USAGE', `unexpected argument "${extra}"`);
    const folder = messageFolder(values);
    const moved = await withUserSession(context, { as: values.as }, (session) => moveMessage(session.user.mailbox, folder, id, target));
    context.stdout.write(values.json ? `${JSON.stringify({ from: { folder, id }, to: moved })}\n` : `moved to ${oneLine(moved.folder)} as ${oneLine(moved.id)}\n`);
    return 0;
  },
};

export default command;
