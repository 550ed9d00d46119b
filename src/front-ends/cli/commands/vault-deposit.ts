/**
 * cachet vault deposit FILE.p12 [--app-token T | --app-token-file F] [--password-file F] [--role R] [--force] [--json]
 * The identity-provider side: hands a PKCS#12 file to the vault service, which imports it.
 */
import { readFile } from 'node:fs/promises';
import { CachetError, isCachetError } from '../../../errors.js';
import { parseCredentialRole, ROLE_QUESTION, type CredentialRole } from '../../../adapters/keys/credential-store.js';
import { VaultServiceClient } from '../../../adapters/keys/vault-service/client.js';
import { b64, type DepositRequest } from '../../../adapters/keys/vault-service/wire.js';
import { onlyArgument, parseCommandArgs } from '../args.js';
import { personalContext } from '../personal-home.js';
import type { CliCommand } from '../context.js';
import { readSecret } from '../secrets.js';
import { cachetHome } from '../trust.js';
import { APP_TOKEN_OPTIONS, readAppToken } from '../vault-app-token.js';

const help = `usage: cachet vault deposit FILE.p12 [--app-token T | --app-token-file F] [--password-file F] [--as ADDRESS]
                           [--role signing|encryption|both] [--force] [--json]

Deposits a certificate and its private key (a PKCS#12 file) into the shared vault through the running
vault service, as an app enrolled with the scope "deposit" (the identity-provider side:
"cachet vault enrol-app NAME --scope deposit"). The service decides the role from
the certificate's key usage; a dual-purpose certificate needs --role (asked on a terminal).
Deposited keys are never exportable.

Options:
  --app-token T        this app's enrolment token (else --app-token-file, $CACHET_VAULT_APP_TOKEN,
                       or $CACHET_HOME/vault-app-token)
  --app-token-file F   read the token from F
  --password-file F    the PKCS#12 password (else $CACHET_PASSWORD, else a prompt)
  --role R             signing, encryption or both, for a dual-purpose certificate
  --force              replace the active signing credential
  --json               print {"deposited": [{"id", "role", "subject", "email"}]}

--as ADDRESS: in a home with several mail users, the user whose vault it is.

Exit statuses: 0 deposited · 1 role needed, unusable or locked vault · 4 wrong password ·
6 no vault service running · 7 app not enrolled, revoked, or without the scope "deposit"`;

const options = {
  as: { type: 'string' },
  ...APP_TOKEN_OPTIONS,
  'password-file': { type: 'string' },
  role: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    context = await personalContext(context, values.as);
    const file = onlyArgument(positionals, 'name the PKCS#12 file to deposit');
    const requested = values.role === undefined ? undefined : parseCredentialRole(values.role);
    if (values.role !== undefined && requested === undefined) throw new CachetError('ERR_USAGE', `--role must be "signing", "encryption" or "both" (got "${values.role}")`);
    const home = cachetHome(context);
    const token = await readAppToken(values, context);
    const client = await VaultServiceClient.connect(home);
    const bytes = await readFile(file);
    const password = await readSecret({ file: values['password-file'], envVar: 'CACHET_PASSWORD', promptLabel: `Password for ${file}` }, context);
    const request: DepositRequest = { pkcs12: b64(bytes), password, ...(requested ? { role: requested } : {}), replaceActive: values.force === true };
    let result: { deposited: Array<{ id: string; role: CredentialRole; subject: string; email: string[] }> };
    try {
      result = await client.app('deposit', token, request);
    } catch (error) {
      if (!isCachetError(error, 'ERR_CERT_ROLE_AMBIGUOUS') || !context.interactive) throw error;
      const role = parseCredentialRole(await context.prompt(`${error.message.replace(/: choose its role.*$/, '')}. ${ROLE_QUESTION} `));
      if (!role) throw new CachetError('ERR_CERT_ROLE_AMBIGUOUS', 'no role was chosen; answer "signing", "encryption" or "both", or give --role');
      result = await client.app('deposit', token, { ...request, role });
    }
    if (values.json) context.stdout.write(`${JSON.stringify(result)}\n`);
    else for (const d of result.deposited) context.stdout.write(`deposited ${d.email[0] ?? d.subject} (${d.id.slice(0, 16)}) for ${d.role}\n`);
    return 0;
  },
};

export default command;
