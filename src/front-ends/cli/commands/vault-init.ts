/**
 * cachet vault init [--passphrase-file F]
 * Creates the user's empty credential vault in $CACHET_HOME with a new passphrase.
 */
import { CachetError } from '../../../errors.js';
import { openUserStore, userVaultPath } from '../vault-passphrase.js';
import { existsSync } from 'node:fs';
import { parseCommandArgs } from '../args.js';
import { personalContext } from '../personal-home.js';
import type { CliCommand } from '../context.js';

const help = `usage: cachet vault init [--passphrase-file F] [--as ADDRESS]

Creates your credential vault ($CACHET_HOME/credentials.vault), encrypted under a passphrase
(from --passphrase-file, $CACHET_VAULT_PASSPHRASE, or asked twice at the terminal).

--as ADDRESS: in a home with several mail users, the user whose vault it is.

Exit statuses: 0 created · 1 a vault already exists`;

const options = { as: { type: 'string' }, 'passphrase-file': { type: 'string' } } as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    context = await personalContext(context, values.as);
    const path = userVaultPath(context);
    if (existsSync(path)) throw new CachetError('ERR_VAULT_EXISTS', `a vault already exists at ${path}; nothing was changed`);
    const store = await openUserStore(context, { passphraseFile: values['passphrase-file'], createIfMissing: true });
    await store.persist();
    context.stdout.write(`created the vault ${path}\n`);
    return 0;
  },
};

export default command;
