/**
 * cachet ca reject ID --reason TEXT [--json]
 */
import { rejectRenewal } from '../../../adapters/ca/renewal.js';
import { onlyArgument, parseCommandArgs, required } from '../args.js';
import type { CliCommand } from '../context.js';
import { caActor, caStore } from './ca-support.js';

const help = `usage: cachet ca reject ID --reason TEXT [--json]

Rejects a renewal request ("cachet ca requests"); the user's next "cachet cert renew" says so, with
the reason, and drops the key it had made for it. The rejection is in the audit log.

Exit statuses: 0 rejected · 1 no such request, or already decided · 2 usage`;

const options = { reason: { type: 'string' }, json: { type: 'boolean' } } as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    const id = onlyArgument(positionals, 'give one request id: cachet ca reject ID --reason TEXT');
    const store = caStore(context);
    await store.settings();
    const { csr: _csr, ...request } = await rejectRenewal(store, id, required(values.reason, 'reason'), caActor(context));
    if (values.json) context.stdout.write(`${JSON.stringify(request)}\n`);
    else context.stdout.write(`rejected ${request.id} (${request.email}, renewing ${request.renews})\n`);
    return 0;
  },
};

export default command;
