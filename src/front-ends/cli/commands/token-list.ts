/**
 * cachet token list [--module M] [--token-label L] [--pin-file F] [--json]
 * Lists the credentials (certificate + key pairs by CKA_ID) on a PKCS#11 token: derived credentials.
 */
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { readSecret } from '../secrets.js';
import { TOKEN_PIN_ENV } from '../../../adapters/keys/key-source.js';
import { DEFAULT_PKCS11_MODULE, Pkcs11Token } from '../../../adapters/keys/pkcs11/token.js';
import { tokenEntries } from '../../../adapters/keys/token-credential-store.js';

const help = `usage: cachet token list [--module M] [--token-label L] [--pin-file F] [--json]

Lists the credentials on a PKCS#11 token (smart card, HSM): CKA_ID, role and holder. The keys stay on
the token. A dual-purpose certificate is listed once per role. A CA's keys on the same token and
certificates with no S/MIME use (e.g. TLS only) are not credentials and are not listed.

Options:
  --module M        the PKCS#11 module (default ${DEFAULT_PKCS11_MODULE})
  --token-label L   which token (default the first one present)
  --pin-file F      the PIN (else $${TOKEN_PIN_ENV}, else a prompt)
  --json            print {"credentials": [{"id", "fingerprint", "role", "subject"}]}

Exit statuses: 0 listed · 4 wrong or locked PIN · 1 token absent or failing`;

const options = {
  module: { type: 'string' },
  'token-label': { type: 'string' },
  'pin-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const pin = await readSecret({ file: values['pin-file'], envVar: TOKEN_PIN_ENV, promptLabel: 'PIN of your token' }, context);
    const token = Pkcs11Token.open({
      module: values.module ?? DEFAULT_PKCS11_MODULE,
      pin,
      ...(values['token-label'] !== undefined ? { tokenLabel: values['token-label'] } : {}),
    });
    try {
      const list = tokenEntries(token).map((e) => ({ id: e.token.id, fingerprint: e.stored.id, role: e.stored.role, subject: e.stored.subject }));
      if (values.json) {
        context.stdout.write(`${JSON.stringify({ credentials: list })}\n`);
      } else if (list.length === 0) {
        context.stdout.write('no credentials on the token\n');
      } else {
        for (const c of list) context.stdout.write(`${c.id}  ${c.role.padEnd(10)}  ${c.subject.replace(/\n/g, ', ')}\n`);
      }
      return 0;
    } finally {
      token.close();
    }
  },
};

export default command;
