/** cachet search [--folder F] [--from T] [--subject T] [--since DAY] [--before DAY] [--has-attachment | --no-attachment] [--json] */
import { searchDay, searchFolder } from '../../../use-cases/mail-operations.js';
import { CachetError } from '../../../errors.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { messageRow } from '../message-rows.js';
import { withUserSession, USER_OPTIONS } from '../user-session.js';
import { oneLine } from '../terminal-text.js';

const command: CliCommand = {
  help: `usage: cachet search [--folder F] [--from TEXT] [--subject TEXT] [--since YYYY-MM-DD]
                     [--before YYYY-MM-DD] [--has-attachment | --no-attachment] [--json] [--as USER]

Searches one folder (default INBOX) where the mail is kept: on an IMAP account the server searches
(SEARCH FROM/SUBJECT/SENTSINCE/SENTBEFORE; attachments from BODYSTRUCTURE). Every criterion given
must match; texts match anywhere, in any case. Only what is in clear is searched: an encrypted
message is found by its sender and date, never by its protected subject or its content. Lists the
messages found as "cachet inbox" does.`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, {
      ...USER_OPTIONS,
      folder: { type: 'string' },
      from: { type: 'string' },
      subject: { type: 'string' },
      since: { type: 'string' },
      before: { type: 'string' },
      'has-attachment': { type: 'boolean' },
      'no-attachment': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (values['has-attachment'] && values['no-attachment']) throw new CachetError('ERR_USAGE', '--has-attachment and --no-attachment: give one of the two');
    const folder = values.folder ?? 'INBOX';
    const since = searchDay('since', values.since);
    const before = searchDay('before', values.before);
    const criteria = {
      ...(values.from !== undefined ? { from: values.from } : {}),
      ...(values.subject !== undefined ? { subject: values.subject } : {}),
      ...(since ? { since } : {}),
      ...(before ? { before } : {}),
      ...(values['has-attachment'] ? { hasAttachment: true } : values['no-attachment'] ? { hasAttachment: false } : {}),
    };
    const found = await withUserSession(context, { as: values.as }, (session) => searchFolder(session.user.mailbox, folder, criteria));
    if (values.json) context.stdout.write(`${JSON.stringify({ folder, messages: found })}\n`);
    else if (found.length === 0) context.stdout.write(`nothing found in ${oneLine(folder)}\n`);
    else for (const entry of found) context.stdout.write(messageRow(entry));
    return 0;
  },
};

export default command;
