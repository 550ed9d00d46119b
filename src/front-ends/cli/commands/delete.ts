/** cachet delete ID [--folder F] [--for-good] [--json] — into Trash, or for good from Trash. */
import { CachetError } from '../../../errors.js';
import { ROLE_FOLDERS } from '../../../adapters/mail/mailbox.js';
import { deleteMessage } from '../../../use-cases/mail-operations.js';
import { onlyArgument, parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { FOLDER_HELP, MESSAGE_OPTIONS, messageFolder } from '../message-options.js';
import { withUserSession, USER_OPTIONS } from '../user-session.js';
import { oneLine } from '../terminal-text.js';

const command: CliCommand = {
  help: `usage: cachet delete ID [--folder F] [--for-good] [--json] [--as USER]

Moves the message into Trash, where it stays until deleted from there; it prints the command that
puts it back. A message in Trash is deleted for good only with --for-good (it cannot be brought
back); --for-good elsewhere is refused: delete it into Trash first.
  ${FOLDER_HELP}`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, { ...USER_OPTIONS, ...MESSAGE_OPTIONS, 'for-good': { type: 'boolean' }, json: { type: 'boolean' } }, { positionals: true });
    const id = onlyArgument(positionals, 'name the message to delete: cachet delete ID');
    const folder = messageFolder(values);
    const inTrash = folder === ROLE_FOLDERS.trash;
    // Deleting for good is never a side effect of a forgotten --folder, nor of a forgotten switch.
    if (inTrash && !values['for-good']) throw new CachetError('ERR_USAGE', `the message is in ${ROLE_FOLDERS.trash}: deleting it there cannot be undone; repeat with --for-good to delete it for good`);
    if (!inTrash && values['for-good']) throw new CachetError('ERR_USAGE', `--for-good deletes only from ${ROLE_FOLDERS.trash}: delete the message into ${ROLE_FOLDERS.trash} first (cachet delete ${id}${values.folder ? ` --folder ${values.folder}` : ''})`);
    const outcome = await withUserSession(context, { as: values.as }, (session) => deleteMessage(session.user.mailbox, folder, id));
    if (values.json) context.stdout.write(`${JSON.stringify(outcome)}\n`);
    else if (outcome.kind === 'removed') context.stdout.write('deleted for good\n');
    else context.stdout.write(`moved to ${oneLine(outcome.trash.folder)} as ${oneLine(outcome.trash.id)}; to put it back: cachet move ${oneLine(outcome.undo.id)} ${oneLine(outcome.undo.target)} --folder ${oneLine(outcome.undo.folder)}\n`);
    return 0;
  },
};

export default command;
