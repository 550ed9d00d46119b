/**
 * cachet ca requests [--all] [--json]
 */
import { listRenewals } from '../../../adapters/ca/renewal.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { caStore } from './ca-support.js';

const help = `usage: cachet ca requests [--all] [--json]

Lists the renewal requests users' clients left for this CA ("cachet cert renew"): id, mailbox, the
certificate it renews, when. Only the pending ones, or --all with those approved and rejected.
Approve with "cachet ca approve ID", reject with "cachet ca reject ID --reason R".

Exit statuses: 0 listed · 1 no CA`;

const options = { all: { type: 'boolean' }, json: { type: 'boolean' } } as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const store = caStore(context);
    await store.settings();
    const requests = (await listRenewals(store.directory)).filter((r) => values.all || r.status === 'pending').map(({ csr: _csr, certificate: _certificate, chain: _chain, ...r }) => r);
    if (values.json) context.stdout.write(`${JSON.stringify({ requests }, null, 2)}\n`);
    else if (requests.length === 0) context.stdout.write(values.all ? 'no renewal request\n' : 'no renewal request is waiting\n');
    else for (const r of requests) context.stdout.write(`${r.id}  ${r.email}  renews ${r.renews}  ${r.requestedAt.slice(0, 16)}  ${r.status}${r.serial ? ` → ${r.serial}` : ''}${r.reason ? ` (${r.reason})` : ''}\n`);
    return 0;
  },
};

export default command;
