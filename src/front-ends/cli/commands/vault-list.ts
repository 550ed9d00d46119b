/**
 * cachet vault list [--app-token T | --app-token-file F] [--json]
 * What the shared vault holds, as an enrolled app sees it: certificates, roles, ids — never a key.
 */
import { VaultServiceClient } from '../../../adapters/keys/vault-service/client.js';
import { listVaultCredentials } from '../../../adapters/keys/vault-service/remote-store.js';
import { parseCommandArgs } from '../args.js';
import { personalContext } from '../personal-home.js';
import type { CliCommand } from '../context.js';
import { cachetHome } from '../trust.js';
import { APP_TOKEN_OPTIONS, readAppToken } from '../vault-app-token.js';

const help = `usage: cachet vault list [--app-token T | --app-token-file F] [--json] [--as ADDRESS]

Lists the credentials in the shared vault, through the running vault service, as an app enrolled with
the scope "use": id (SHA-256 of the certificate), role, whether active, holder. The keys stay in the
service.

Options:
  --app-token T        this app's enrolment token (else --app-token-file, $CACHET_VAULT_APP_TOKEN,
                       or $CACHET_HOME/vault-app-token)
  --app-token-file F   read the token from F
  --json               print {"credentials": [{"id", "role", "active", "subject", "email", "notAfter",
                       "certificate" (base64 DER)}]}

--as ADDRESS: in a home with several mail users, the user whose vault it is.

Exit statuses: 0 listed · 1 locked vault · 6 no vault service running · 7 app not enrolled, revoked,
or without the scope "use"`;

const options = { as: { type: 'string' }, ...APP_TOKEN_OPTIONS, json: { type: 'boolean' } } as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    context = await personalContext(context, values.as);
    const token = await readAppToken(values, context);
    const client = await VaultServiceClient.connect(cachetHome(context));
    const credentials = await listVaultCredentials(client, token);
    if (values.json) {
      const list = credentials.map((c) => ({ id: c.id, role: c.role, active: c.active, subject: c.subject, email: c.email, notAfter: c.notAfter, certificate: Buffer.from(c.certificate).toString('base64') }));
      context.stdout.write(`${JSON.stringify({ credentials: list })}\n`);
    } else if (credentials.length === 0) {
      context.stdout.write('the shared vault holds no credentials\n');
    } else {
      for (const c of credentials) context.stdout.write(`${c.id.slice(0, 16)}  ${c.role.padEnd(10)}  ${c.active ? 'active  ' : 'inactive'}  ${c.email[0] ?? c.subject}\n`);
    }
    return 0;
  },
};

export default command;
