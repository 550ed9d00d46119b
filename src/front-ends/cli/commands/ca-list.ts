/**
 * cachet ca list [--email E] [--status valid|expired|revoked] [--template T] [--expiring DAYS] [--undelivered] [--json]
 */
import { listRecords, parseRecordStatus, type CertificateRecord, type RecordFilter } from '../../../adapters/ca/records.js';
import { getTemplate } from '../../../adapters/ca/templates.js';
import { parseCommandArgs, wholeNumberOption } from '../args.js';
import type { CliCommand } from '../context.js';
import { caStore } from './ca-support.js';

const help = `usage: cachet ca list [--email E] [--status valid|expired|revoked] [--template T]
                    [--expiring DAYS] [--undelivered] [--json]

Lists the certificates this CA issued, in issuing order: serial, mailbox, template, status now
(valid, expired, revoked), expiry, whether it reached its owner ("cachet ca distribute") and the
directory ("cachet ca publish"), and what renewed it. With --json, each certificate also carries
its history from the CA's audit log (who issued, distributed, published, revoked, renewed it, when);
"cachet ca audit" prints the whole log.

Options:
  --email E          only this mailbox's certificates
  --status S         valid, expired or revoked
  --template T       only this template (either of its names)
  --expiring DAYS    valid certificates that expire within DAYS days
  --undelivered      only those not yet delivered to their owner
  --json             {"certificates": [...]}, each with "history"

Exit statuses: 0 listed (even none) · 1 no CA · 2 usage`;

const options = {
  email: { type: 'string' },
  status: { type: 'string' },
  template: { type: 'string' },
  expiring: { type: 'string' },
  undelivered: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function line(r: CertificateRecord): string {
  const state = r.state === 'revoked' ? `revoked ${r.revokedAt?.slice(0, 10) ?? ''} (${r.reason ?? 'unspecified'})` : r.state === 'expired' ? 'expired' : `valid, ${r.daysLeft} days left`;
  const facts = [r.delivered ? 'delivered' : 'not delivered', ...(r.published ? ['published'] : []), ...(r.renewedBy ? [`renewed by ${r.renewedBy}`] : [])];
  return `${r.serial}  ${r.email}  ${r.template}  until ${r.notAfter.slice(0, 10)}  ${state}  ${facts.join(', ')}`;
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const filter: RecordFilter = {};
    if (values.email !== undefined) filter.email = values.email.trim();
    if (values.status !== undefined) filter.status = parseRecordStatus(values.status);
    if (values.template !== undefined) filter.template = getTemplate(values.template).name;
    const expiring = wholeNumberOption(values.expiring, 'expiring', 'days');
    if (expiring !== undefined) filter.expiringWithinDays = expiring;
    if (values.undelivered) filter.undelivered = true;
    const store = caStore(context);
    await store.settings(); // ERR_CA_NOT_INITIALISED rather than an empty list
    const records = await listRecords(store, filter);
    if (values.json) {
      const events = await store.audit.events();
      const certificates = records.map(({ certificate, ...r }) => ({ ...r, certificate, history: events.filter((e) => e.serial === r.serial).map(({ prev: _prev, ...e }) => e) }));
      context.stdout.write(`${JSON.stringify({ certificates }, null, 2)}\n`);
    } else if (records.length === 0) {
      context.stdout.write('no certificate matches\n');
    } else {
      context.stdout.write(`${records.map(line).join('\n')}\n`);
    }
    return 0;
  },
};

export default command;
