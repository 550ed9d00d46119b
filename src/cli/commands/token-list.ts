/**
 * cachet token list [--module M] [--token-label L] [--pin-file F] [--json]
 * Lists the credentials (certificate + key pairs by CKA_ID) on a PKCS#11 token: derived credentials.
 */
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { openKeySource } from '../../keys/key-source.js';

const help = `usage: cachet token list [--module M] [--token-label L] [--pin-file F] [--json]

Lists the credentials on a PKCS#11 token (smart card, HSM): CKA_ID, role and holder. The keys stay on
the token.

Options:
  --module M        the PKCS#11 module (default /usr/lib/softhsm/libsofthsm2.so)
  --token-label L   which token (default the first one present)
  --pin-file F      the PIN (else $CACHET_TOKEN_PIN, else a prompt)
  --json            print {"credentials": [...]}

Exit statuses: 0 listed · 4 wrong or locked PIN · 1 token absent or failing`;

const options = {
  module: { type: 'string' },
  'token-label': { type: 'string' },
  'pin-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  summary: 'list the credentials on a PKCS#11 token',
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const source = await openKeySource(
      'derivedCredentials',
      {
        token: {
          ...(values.module !== undefined ? { module: values.module } : {}),
          ...(values['token-label'] !== undefined ? { tokenLabel: values['token-label'] } : {}),
          ...(values['pin-file'] !== undefined ? { pinFile: values['pin-file'] } : {}),
        },
      },
      context,
    );
    try {
      const list = (await source.credentials()).map((c) => ({ id: c.id, role: c.role, subject: c.subject }));
      if (values.json) {
        context.stdout.write(`${JSON.stringify({ credentials: list })}\n`);
      } else if (list.length === 0) {
        context.stdout.write('no credentials on the token\n');
      } else {
        for (const c of list) context.stdout.write(`${c.id}  ${c.role.padEnd(10)}  ${c.subject.replace(/\n/g, ', ')}\n`);
      }
      return 0;
    } finally {
      await source.close();
    }
  },
};

export default command;
