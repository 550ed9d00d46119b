/**
 * cachet ca init [--name N] [--intermediate] [--key TYPE] [--http-base URL] [--passphrase-file F]
 */
import { KEY_TYPES } from '../../ca/ca-store.js';
import { parseKeyType } from '../../ca/key-pair.js';
import { setUpCa } from '../../ca/setup.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { caPassphrase, caStore } from './ca-support.js';

const help = `usage: cachet ca init [--name N] [--intermediate] [--key TYPE] [--http-base URL] [--passphrase-file F]

Sets up a certificate authority under $CACHET_HOME/ca (default ~/.cachet/ca): a root and, with
--intermediate, an issuing CA under it that signs the users' certificates. The CA keys are stored
encrypted (PKCS#8, PBES2 with AES-256) under the CA passphrase.

Options:
  --name N             the CA's name (default "Cachet CA")
  --intermediate       also make an issuing intermediate CA
  --key TYPE           ${KEY_TYPES.join(', ')} (default rsa-3072)
  --http-base URL      where "cachet ca ocsp" will be reachable; issued certificates point their CRL
                       distribution point (URL/crl) and OCSP (URL/ocsp) there
                       (default http://127.0.0.1:2560)
  --passphrase-file F  file holding the CA passphrase (else $CACHET_CA_PASSPHRASE, else a prompt)
  --json               print the result as JSON

Exit statuses: 0 created · 1 a CA exists already · 2 usage · 4 no passphrase`;

const options = {
  name: { type: 'string' },
  intermediate: { type: 'boolean' },
  key: { type: 'string' },
  'http-base': { type: 'string' },
  'passphrase-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  summary: 'set up a certificate authority (root, optional issuing intermediate)',
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const store = caStore(context);
    const keyType = parseKeyType(values.key ?? 'rsa-3072');
    const passphrase = await caPassphrase(values['passphrase-file'], context);
    const settings = await setUpCa(store, {
      name: values.name ?? 'Cachet CA',
      intermediate: values.intermediate ?? false,
      keyType,
      httpBase: values['http-base'] ?? 'http://127.0.0.1:2560',
      passphrase,
    });
    if (values.json) context.stdout.write(`${JSON.stringify({ directory: store.directory, ...settings })}\n`);
    else context.stdout.write(`CA "${settings.name}" created in ${store.directory}${settings.intermediate ? ' (root + issuing intermediate)' : ''}\n`);
    return 0;
  },
};

export default command;
