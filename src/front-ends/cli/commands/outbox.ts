/** cachet outbox [--retry] [--json] — what is waiting to be sent, and sending it again. */
import { join } from 'node:path';
import { Outbox } from '../../../adapters/mail/outbox.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { withUserSession, USER_OPTIONS } from '../user-session.js';
import { oneLine } from '../terminal-text.js';

const command: CliCommand = {
  help: `usage: cachet outbox [--retry] [--json] [--as USER]

Messages stay in the Outbox until every recipient has been accepted. --retry sends what is left;
recipients who already have a message never get it twice. Exit status 6 when messages remain.`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, { ...USER_OPTIONS, retry: { type: 'boolean' }, json: { type: 'boolean' } });
    const pending = await withUserSession(context, { as: values.as }, async (session) => {
      const outbox = new Outbox(session.user.maildir, join(session.user.dir, 'outbox.json'));
      return values.retry ? (await outbox.flush(session.transport)).pending : outbox.pending();
    });
    if (values.json) context.stdout.write(`${JSON.stringify({ pending })}\n`);
    else if (pending.length === 0) context.stdout.write('the outbox is empty\n');
    else for (const p of pending) context.stdout.write(`${p.id}  to ${oneLine(p.remaining.join(', '))}  (${p.attempts} attempt(s)${p.lastError ? `; last: ${oneLine(p.lastError.message)}` : ''})\n`);
    return pending.length === 0 ? 0 : 6;
  },
};

export default command;
