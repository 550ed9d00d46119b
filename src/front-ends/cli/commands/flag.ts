/** cachet flag ID (--read | --unread) (--flagged | --unflagged) [--folder F] — the read and follow-up flags. */
import { CachetError } from '../../../errors.js';
import { setMessageFlags } from '../../../use-cases/mail-operations.js';
import { onlyArgument, parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { FOLDER_HELP, MESSAGE_OPTIONS, messageFolder } from '../message-options.js';
import { withUserSession, USER_OPTIONS } from '../user-session.js';

/** One of a pair of switches, or neither; both is a usage error. */
function either(on: boolean | undefined, off: boolean | undefined, names: string): boolean | undefined {
  if (on && off) throw new CachetError('ERR_USAGE', `${names}: give one of the two`);
  return on ? true : off ? false : undefined;
}

const command: CliCommand = {
  help: `usage: cachet flag ID [--read | --unread] [--flagged | --unflagged] [--folder F] [--json] [--as USER]

Marks the message read or unread (IMAP \\Seen, Maildir S) and flagged for follow-up or not
(\\Flagged, F); a flag not named stays as it is.
  ${FOLDER_HELP}`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(
      args,
      { ...USER_OPTIONS, ...MESSAGE_OPTIONS, read: { type: 'boolean' }, unread: { type: 'boolean' }, flagged: { type: 'boolean' }, unflagged: { type: 'boolean' }, json: { type: 'boolean' } },
      { positionals: true },
    );
    const id = onlyArgument(positionals, 'name the message: cachet flag ID --read|--unread|--flagged|--unflagged');
    const seen = either(values.read, values.unread, '--read and --unread');
    const flagged = either(values.flagged, values.unflagged, '--flagged and --unflagged');
    if (seen === undefined && flagged === undefined) throw new CachetError('ERR_USAGE', 'say which flag to set: --read, --unread, --flagged or --unflagged');
    const folder = messageFolder(values);
    const flags = { ...(seen === undefined ? {} : { seen }), ...(flagged === undefined ? {} : { flagged }) };
    await withUserSession(context, { as: values.as }, (session) => setMessageFlags(session.user.mailbox, folder, id, flags));
    context.stdout.write(values.json ? `${JSON.stringify({ folder, id, ...flags })}\n` : `${[seen === undefined ? '' : seen ? 'read' : 'unread', flagged === undefined ? '' : flagged ? 'flagged' : 'not flagged'].filter(Boolean).join(', ')}\n`);
    return 0;
  },
};

export default command;
