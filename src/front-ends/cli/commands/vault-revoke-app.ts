/**
 * cachet vault revoke-app NAME
 * Revokes an enrolled app: the vault service refuses its token from the next request on.
 */
import { revokeApp } from '../../../adapters/keys/vault-service/app-registry.js';
import { onlyArgument, parseCommandArgs } from '../args.js';
import { personalContext } from '../personal-home.js';
import type { CliCommand } from '../context.js';
import { cachetHome } from '../trust.js';

const help = `usage: cachet vault revoke-app NAME [--as ADDRESS]

Revokes the app NAME: the vault service refuses its token from the next request on (a running
service needs no restart). Enrol it again to give it a new token.

--as ADDRESS: in a home with several mail users, the user whose vault it is.

Exit statuses: 0 revoked · 2 no such app`;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, { as: { type: 'string' } }, { positionals: true });
    context = await personalContext(context, values.as);
    const name = onlyArgument(positionals, 'name the app to revoke');
    await revokeApp(cachetHome(context), name);
    context.stdout.write(`revoked "${name}": the vault service no longer answers it\n`);
    return 0;
  },
};

export default command;
