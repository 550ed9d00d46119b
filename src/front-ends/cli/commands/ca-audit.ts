/**
 * cachet ca audit [--serial S] [--email E] [--verify] [--json]
 */
import { normaliseSerial } from '../../../adapters/ca/ca-store.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { caStore } from './ca-support.js';

const help = `usage: cachet ca audit [--serial S] [--email E] [--verify] [--json]

Prints the CA's audit log ($CACHET_HOME/ca/audit.log): every act on the CA — set up, issue, refuse,
distribute, publish, revoke, renew, key archival and recovery — with who did it ($CACHET_ADMIN, else
the OS user) and when. The log is only ever appended to; each line carries the SHA-256 of the line
before it, and --verify checks that chain (exit 1, ERR_CA_AUDIT_BROKEN, naming the first line that
was removed, changed or moved).

Options:
  --serial S   only the events of this certificate
  --email E    only the events of this mailbox
  --verify     check the hash chain
  --json       {"events": [...]}

Exit statuses: 0 shown (and the chain intact with --verify) · 1 no CA, or the chain is broken · 2 usage`;

const options = {
  serial: { type: 'string' },
  email: { type: 'string' },
  verify: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const store = caStore(context);
    await store.settings();
    const count = values.verify ? await store.audit.verify() : undefined;
    const serial = values.serial === undefined ? undefined : normaliseSerial(values.serial);
    const email = values.email?.trim().toLowerCase();
    const events = (await store.audit.events()).filter((e) => (serial === undefined || e.serial === serial) && (email === undefined || e.email?.toLowerCase() === email));
    if (values.json) {
      context.stdout.write(`${JSON.stringify({ events, ...(count !== undefined ? { verified: count } : {}) }, null, 2)}\n`);
      return 0;
    }
    for (const e of events) {
      const details = e.details ? ` ${Object.entries(e.details).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}` : '';
      context.stdout.write(`${e.at}  ${e.who}  ${e.action}${e.serial ? ` ${e.serial}` : ''}${e.email ? ` ${e.email}` : ''}${details}\n`);
    }
    if (count !== undefined) context.stdout.write(`the audit log's ${count} records chain intact\n`);
    return 0;
  },
};

export default command;
