/** cachet outbox [--retry] [--delete MESSAGE-ID] [--json] — what is waiting to be sent, sending it again, giving up on one. */
import { deleteFromOutbox, listOutbox, openOutbox, retryOutbox } from '../../../use-cases/outbox.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { withUserSession, USER_OPTIONS } from '../user-session.js';
import { oneLine } from '../terminal-text.js';

const command: CliCommand = {
  help: `usage: cachet outbox [--retry] [--delete MESSAGE-ID] [--json] [--as USER]

Messages stay in the Outbox until every recipient has been accepted. Each message is listed with
every recipient: delivered, or waiting with the reason of the last attempt. --retry sends what is
left; recipients who already have a message never get it twice. --delete gives up on a message (by
its Message-ID, as listed): who has it keeps it, who waits never gets it. Exit status 6 when
messages remain.`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, { ...USER_OPTIONS, retry: { type: 'boolean' }, delete: { type: 'string' }, json: { type: 'boolean' } });
    const { messages, pending } = await withUserSession(context, { as: values.as }, async (session) => {
      if (values.delete !== undefined) await deleteFromOutbox(session.user, values.delete);
      const listed = values.retry ? await retryOutbox(session.user, session.transport) : await listOutbox(session.user);
      return { messages: listed, pending: await openOutbox(session.user).pending() };
    });
    // `pending`: the queued copies as stored (kept for scripts); `messages`: per message, per recipient.
    if (values.json) context.stdout.write(`${JSON.stringify({ messages, pending })}\n`);
    else if (messages.length === 0) context.stdout.write('the outbox is empty\n');
    else {
      for (const m of messages) {
        context.stdout.write(`${oneLine(m.batch)}  ${oneLine(m.subject || '(no subject)')}  (${m.attempts} attempt(s))\n`);
        for (const r of m.recipients) context.stdout.write(`  ${oneLine(r.address)}: ${r.state === 'delivered' ? 'delivered' : `${r.state} — ${oneLine(r.reason ?? '')}`}\n`);
      }
    }
    return messages.length === 0 ? 0 : 6;
  },
};

export default command;
