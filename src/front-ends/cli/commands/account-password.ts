/** cachet account password [--as ADDRESS] --password-file F --new-password-file F */
import { CachetError } from '../../../errors.js';
import { changeLoginPassword, currentUser } from '../../../use-cases/users.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { readPasswordFile } from '../secrets.js';
import { cachetHome } from '../trust.js';

const command: CliCommand = {
  help: `usage: cachet account password [--as ADDRESS] --password-file F --new-password-file F

Changes the password a user signs in to the web client with (cachet web, or cachet server with
signIn.method: local). The current password is checked first; a vault locked with it is re-locked
with the new one. Each file's first line is the password; the new one needs 8 characters or more.

Exit statuses: 0 changed · 2 usage · 3 a file unreadable · 4 the current password is wrong`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, { as: { type: 'string' }, 'password-file': { type: 'string' }, 'new-password-file': { type: 'string' } });
    if (!values['password-file'] || !values['new-password-file']) throw new CachetError('ERR_USAGE', 'usage: cachet account password --password-file F --new-password-file F');
    const user = await currentUser(cachetHome(context), values.as ?? context.env.CACHET_USER);
    const { vaultChanged } = await changeLoginPassword(user, await readPasswordFile(values['password-file'], context), await readPasswordFile(values['new-password-file'], context));
    context.stdout.write(`changed the web password of ${user.address}${vaultChanged ? ' (and the passphrase of their vault with it)' : ''}\n`);
    return 0;
  },
};

export default command;
