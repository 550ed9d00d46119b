/**
 * cachet vault enrol-app NAME [--scope use|deposit|use,deposit] [--json]
 * Enrols an app with the vault service, with what it may do, and prints its token, once.
 */
import { DEFAULT_APP_SCOPES, enrolApp, parseAppScopes } from '../../../adapters/keys/vault-service/app-registry.js';
import { vaultServicePaths } from '../../../adapters/keys/vault-service/paths.js';
import { onlyArgument, parseCommandArgs } from '../args.js';
import { personalContext } from '../personal-home.js';
import type { CliCommand } from '../context.js';
import { cachetHome } from '../trust.js';

const help = `usage: cachet vault enrol-app NAME [--scope use|deposit|use,deposit] [--json] [--as ADDRESS]

Enrols the app NAME (letters, digits, ".", "_", "-") with your vault service and prints a new random
token for it on stdout — the only time it is shown: only a hash of it is kept
($CACHET_HOME/vault-apps.json), with the app's scopes. Give the token to the app (e.g. in
$CACHET_VAULT_APP_TOKEN or in its own owner-only file). Enrolling an app again replaces its token and
its scopes; the old token stops working.

Options:
  --scope S   what the app may do: "use" (list the credentials, sign, decrypt: the mail client),
              "deposit" (put credentials in: the identity-provider app), or "use,deposit".
              Default: ${DEFAULT_APP_SCOPES.join(',')}
  --json      print {"app": NAME, "scopes": [...], "token": TOKEN}

--as ADDRESS: in a home with several mail users, the user whose vault it is.

Exit statuses: 0 enrolled · 2 usage`;

const options = { as: { type: 'string' }, scope: { type: 'string' }, json: { type: 'boolean' } } as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    context = await personalContext(context, values.as);
    const name = onlyArgument(positionals, 'name the app to enrol');
    const scopes = values.scope === undefined ? [...DEFAULT_APP_SCOPES] : parseAppScopes(values.scope);
    const home = cachetHome(context);
    const token = await enrolApp(home, name, scopes);
    if (values.json) context.stdout.write(`${JSON.stringify({ app: name, scopes, token })}\n`);
    else {
      context.stdout.write(`${token}\n`);
      context.stderr.write(`enrolled "${name}" (may ${scopes.join(', ')}); its token (above) is shown only now. An app may keep it in ${vaultServicePaths(home).appToken} (mode 600) or $CACHET_VAULT_APP_TOKEN.\n`);
    }
    return 0;
  },
};

export default command;
