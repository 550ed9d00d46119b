/**
 * cachet vault unlock [--passphrase-file F]
 * Gives the vault passphrase to the running vault service, which then holds the opened vault.
 */
import { VaultServiceClient } from '../../../adapters/keys/vault-service/client.js';
import { parseCommandArgs } from '../args.js';
import { personalContext } from '../personal-home.js';
import type { CliCommand } from '../context.js';
import { cachetHome } from '../trust.js';
import { readVaultPassphrase } from '../vault-passphrase.js';

const help = `usage: cachet vault unlock [--passphrase-file F] [--as ADDRESS]

Unlocks the running vault service ("cachet vault serve"): it opens your vault with the passphrase
(from --passphrase-file, $CACHET_VAULT_PASSPHRASE or a prompt) and answers enrolled apps until it is
locked again ("cachet vault lock") or stays idle for the policy's vaultIdleMinutes. Nothing is
started: with no service running, this says so.

--as ADDRESS: in a home with several mail users, the user whose vault it is.

Exit statuses: 0 unlocked · 4 wrong passphrase · 6 no vault service running`;

const options = { as: { type: 'string' }, 'passphrase-file': { type: 'string' } } as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    context = await personalContext(context, values.as);
    const client = await VaultServiceClient.connect(cachetHome(context));
    // Asked only once the service is known to be there, so no passphrase is typed in vain.
    await client.owner('status');
    const passphrase = await readVaultPassphrase(context, values['passphrase-file']);
    await client.owner('unlock', { passphrase });
    context.stdout.write('the vault service is unlocked\n');
    return 0;
  },
};

export default command;
