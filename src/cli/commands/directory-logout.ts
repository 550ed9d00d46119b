/**
 * cachet directory logout — forgets the directory bind DN and password kept in the user's vault.
 */
import { directoryLogout } from '../../client/directory-login.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { personalHome } from '../personal-home.js';
import { openUserStore } from '../vault-passphrase.js';

const help = `usage: cachet directory logout [--as ADDRESS] [--passphrase-file F]

Forgets the directory bind DN and password that "cachet directory login" kept in your credential vault.

Exit statuses: 0 forgotten (or none was kept) · 2 usage · 3 no vault`;

const command: CliCommand = {
  summary: 'forget the directory password kept in your vault',
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, { as: { type: 'string' }, 'passphrase-file': { type: 'string' } });
    const personal = await personalHome(context, values.as);
    const vault = await openUserStore({ ...context, env: { ...context.env, CACHET_HOME: personal } }, { passphraseFile: values['passphrase-file'] });
    context.stdout.write((await directoryLogout(vault)) ? 'the directory password is forgotten\n' : 'no directory password was kept\n');
    return 0;
  },
};

export default command;
