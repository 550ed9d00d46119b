/**
 * cachet directory logout — forgets the directory bind DN and password kept in the user's vault.
 */
import { directoryLogout } from '../../../use-cases/directory-login.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { personalHome } from '../personal-home.js';
import { existsSync } from 'node:fs';
import { openUserStore, userVaultPath } from '../vault-passphrase.js';

const help = `usage: cachet directory logout [--as ADDRESS] [--passphrase-file F]

Forgets the directory bind DN and password that "cachet directory login" kept in your credential vault.

Exit statuses: 0 forgotten (or none was kept) · 2 usage · 4 wrong vault passphrase`;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, { as: { type: 'string' }, 'passphrase-file': { type: 'string' } });
    const personal = await personalHome(context, values.as);
    const userContext = { ...context, env: { ...context.env, CACHET_HOME: personal } };
    // Without a vault there is nothing kept to forget.
    const forgotten = existsSync(userVaultPath(userContext)) && (await directoryLogout(await openUserStore(userContext, { passphraseFile: values['passphrase-file'] })));
    context.stdout.write(forgotten ? 'the directory password is forgotten\n' : 'no directory password was kept\n');
    return 0;
  },
};

export default command;
