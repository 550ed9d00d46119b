/** cachet inbox [--folder F] [--json] — the messages of a folder, newest last. */
import { listFolder } from '../../../use-cases/folder-listing.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { withUserSession, USER_OPTIONS } from '../user-session.js';
import { progressFor } from '../progress.js';
import { messageRow } from '../message-rows.js';

const command: CliCommand = {
  help: `usage: cachet inbox [--folder F] [--as USER] [--json] [--progress]

Lists the messages of a folder (default INBOX; any folder "cachet folders" lists: Sent, Drafts,
Outbox, Trash, Archive…), each with its id for "cachet read", "reply", "move"… (with the same
--folder), with their outer headers only ("encrypted" and "signed" here describe the outer
form; open a message with "cachet read ID" for a verified status).`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, { ...USER_OPTIONS, folder: { type: 'string' }, json: { type: 'boolean' }, progress: { type: 'boolean' } });
    const folder = values.folder ?? 'INBOX';
    const progress = progressFor(context, `Syncing ${folder}`, values.progress ?? false);
    const rows = await withUserSession(context, { as: values.as }, (session) => listFolder(session.user.mailbox, folder, (done, total) => progress.update(done, total, `${done}/${total}`)));
    progress.done();
    if (values.json) context.stdout.write(`${JSON.stringify({ folder, messages: rows })}\n`);
    else if (rows.length === 0) context.stdout.write(`${folder} is empty\n`);
    else for (const r of rows) context.stdout.write(messageRow(r));
    return 0;
  },
};

export default command;
