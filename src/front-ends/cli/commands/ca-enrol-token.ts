/**
 * cachet ca enrol-token --email E --template T --token-label L [--pkcs11-module PATH] [--user-pin-file F]
 *                       [--key TYPE] [--days N] [--passphrase-file F | --pin-file F] [--json]
 */
import { parseKeyType } from '../../../adapters/ca/key-pair.js';
import { enrolOnToken } from '../../../adapters/ca/token-enrolment.js';
import { getTemplate } from '../../../adapters/ca/templates.js';
import { DEFAULT_PKCS11_MODULE, Pkcs11Token } from '../../../adapters/keys/pkcs11/token.js';
import { parseCommandArgs, required } from '../args.js';
import type { CliCommand } from '../context.js';
import { readSecret } from '../secrets.js';
import { CA_SECRET_OPTIONS, caActor, caIssuer, caStore, inputPath, withCaUnlock } from './ca-support.js';

const help = `usage: cachet ca enrol-token --email E --template T --token-label L [--pkcs11-module PATH]
                             [--user-pin-file F] [--key TYPE] [--passphrase-file F | --pin-file F] [--json]

Enrols a derived credential on the user's PKCS#11 token (smart card, secure element): the key pair
is generated ON the token (private, sensitive, not extractable: it never leaves the card), the
token signs a PKCS#10 request with it, this CA checks and certifies it from the template, and the
certificate is written back onto the token beside the key (same CKA_ID). The card then serves the
policy's derivedCredentials source ("cachet token list" shows it). An encryption key is made able
to decrypt (RSA) or agree keys (EC) on the token. If anything fails, the new key is removed again.

Options:
  --email E             the user's mailbox
  --template T          signing-only, encryption-only, dual, multipurpose, … (either name)
  --token-label L       the user's token
  --pkcs11-module PATH  the PKCS#11 module (default ${DEFAULT_PKCS11_MODULE})
  --user-pin-file F     the user token's PIN (else $CACHET_USER_TOKEN_PIN, else a prompt)
  --key TYPE            rsa-2048 (default), rsa-3072, ec-p256, ec-p384
  --passphrase-file F   the CA passphrase; --pin-file F: the PIN of the CA's own token
  --json                print the serial, the token object id and label

Exit statuses: 0 enrolled · 1 refused, or the token absent · 2 usage · 4 a wrong PIN or passphrase`;

const options = {
  email: { type: 'string' },
  template: { type: 'string' },
  'token-label': { type: 'string' },
  'pkcs11-module': { type: 'string' },
  'user-pin-file': { type: 'string' },
  key: { type: 'string' },
  ...CA_SECRET_OPTIONS,
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const template = getTemplate(required(values.template, 'template'));
    const email = required(values.email, 'email');
    const tokenLabel = required(values['token-label'], 'token-label');
    const keyType = parseKeyType(values.key ?? 'rsa-2048');
    const store = caStore(context);
    await store.settings();
    const pin = await readSecret({ file: values['user-pin-file'] === undefined ? undefined : inputPath(values['user-pin-file'], context), envVar: 'CACHET_USER_TOKEN_PIN', promptLabel: `PIN of the token "${tokenLabel}"` }, context);
    const token = Pkcs11Token.open({ module: values['pkcs11-module'] === undefined ? DEFAULT_PKCS11_MODULE : inputPath(values['pkcs11-module'], context), tokenLabel, pin });
    try {
      const enrolled = await withCaUnlock(values, context, async (unlock) => enrolOnToken(store, await caIssuer(store, unlock), token, { template, email, keyType, actor: caActor(context) }));
      const { entry } = enrolled;
      if (values.json) context.stdout.write(`${JSON.stringify({ serial: entry.serial, email: entry.email, template: entry.template, notAfter: entry.notAfter, token: tokenLabel, id: enrolled.id, label: enrolled.label })}\n`);
      else context.stdout.write(`enrolled ${entry.template} certificate ${entry.serial} for ${entry.email} on the token "${tokenLabel}" (id ${enrolled.id}); the key was made there and never left it\n`);
      return 0;
    } finally {
      token.close();
    }
  },
};

export default command;
