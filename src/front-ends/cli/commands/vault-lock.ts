/**
 * cachet vault lock
 * Makes the running vault service forget the opened vault (keys and the key derived from the passphrase).
 */
import { VaultServiceClient } from '../../../adapters/keys/vault-service/client.js';
import { parseCommandArgs } from '../args.js';
import { personalContext } from '../personal-home.js';
import type { CliCommand } from '../context.js';
import { cachetHome } from '../trust.js';

const help = `usage: cachet vault lock [--as ADDRESS]

Locks the running vault service: it forgets your opened vault — its keys and the key derived from
your passphrase — and answers apps "the vault is locked" until "cachet vault unlock".

--as ADDRESS: in a home with several mail users, the user whose vault it is.

Exit statuses: 0 locked · 6 no vault service running`;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, { as: { type: 'string' } });
    context = await personalContext(context, values.as);
    const client = await VaultServiceClient.connect(cachetHome(context));
    await client.owner('lock');
    context.stdout.write('the vault service is locked\n');
    return 0;
  },
};

export default command;
