/**
 * cachet vault passphrase [--passphrase-file F] [--new-passphrase-file F]
 * Changes the vault passphrase: through the running vault service, or on the vault file when none runs.
 */
import { CachetError, isCachetError } from '../../../errors.js';
import { openFileCredentialStore } from '../../../adapters/keys/file-credential-store.js';
import { vaultFileExists, vaultFilePath } from '../../../adapters/keys/open-store.js';
import { VaultServiceClient } from '../../../adapters/keys/vault-service/client.js';
import { parseCommandArgs } from '../args.js';
import { personalContext } from '../personal-home.js';
import type { CliCommand } from '../context.js';
import { cachetHome } from '../trust.js';
import { readNewPassphrase, readVaultPassphrase } from '../vault-passphrase.js';

export const VAULT_NEW_PASSPHRASE_ENV = 'CACHET_VAULT_NEW_PASSPHRASE';

const help = `usage: cachet vault passphrase [--passphrase-file F] [--new-passphrase-file F] [--as ADDRESS]

Changes the passphrase of your credential vault. The current one comes from --passphrase-file,
$CACHET_VAULT_PASSPHRASE or a prompt; the new one from --new-passphrase-file,
$${VAULT_NEW_PASSPHRASE_ENV} or a prompt (asked twice). When the vault service runs, the change goes
through it (so it keeps serving); otherwise the vault file is changed directly. A wrong current
passphrase changes nothing.

--as ADDRESS: in a home with several mail users, the user whose vault it is.

Exit statuses: 0 changed · 2 the new passphrases differ · 4 wrong passphrase · 1 no vault`;

const options = {
  as: { type: 'string' },
  'passphrase-file': { type: 'string' },
  'new-passphrase-file': { type: 'string' },
} as const;

async function runningService(home: string): Promise<VaultServiceClient | undefined> {
  try {
    const client = await VaultServiceClient.connect(home);
    await client.owner('status');
    return client;
  } catch (error) {
    if (isCachetError(error, 'ERR_VAULT_UNREACHABLE')) return undefined;
    throw error;
  }
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    context = await personalContext(context, values.as);
    const home = cachetHome(context);
    if (!vaultFileExists(home)) throw new CachetError('ERR_VAULT_NOT_FOUND', `there is no credential vault yet (${vaultFilePath(home)}); create it with "cachet vault init"`);
    const old = await readVaultPassphrase(context, values['passphrase-file'], 'Current passphrase of your credential vault');
    const service = await runningService(home);
    if (!service) {
      // Checked before the new one is asked for: a wrong current passphrase ends here.
      const store = await openFileCredentialStore(vaultFilePath(home), old);
      const next = await readNewPassphrase(context, { file: values['new-passphrase-file'], envVar: VAULT_NEW_PASSPHRASE_ENV });
      await store.changePassphrase(next);
    } else {
      const next = await readNewPassphrase(context, { file: values['new-passphrase-file'], envVar: VAULT_NEW_PASSPHRASE_ENV });
      await service.owner('passphrase', { old, new: next });
    }
    context.stdout.write(`the vault passphrase is changed${service ? ' (through the running vault service)' : ''}\n`);
    return 0;
  },
};

export default command;
