/**
 * cachet ca init [--name N] [--intermediate] [--key TYPE] [--http-base URL]
 *                [--key-store vault|file|token] [--passphrase-file F]
 *                [--token-label L [--pkcs11-module PATH] [--pin-file F]]
 */
import { KEY_TYPES } from '../../../adapters/ca/ca-store.js';
import { parseKeyType } from '../../../adapters/ca/key-pair.js';
import { setUpCa, type CaKeyStoreChoice } from '../../../adapters/ca/setup.js';
import { CachetError } from '../../../errors.js';
import { DEFAULT_PKCS11_MODULE } from '../../../adapters/keys/pkcs11/token.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { CA_SECRET_OPTIONS, caActor, caStore, inputPath, withCaUnlock } from './ca-support.js';

const help = `usage: cachet ca init [--name N] [--intermediate] [--key TYPE] [--http-base URL]
                     [--key-store vault|file] [--passphrase-file F]
       cachet ca init --token-label L [--pkcs11-module PATH] [--pin-file F] [--name N] [--intermediate] …

Sets up a certificate authority under $CACHET_HOME/ca (default ~/.cachet/ca): a root and, with
--intermediate, an issuing CA under it that signs the users' certificates.

Where the CA keys are kept:
  vault   (default) the CA's own encrypted vault, $CACHET_HOME/ca/ca.vault (AES-256-GCM, key from
          the CA passphrase by scrypt) — not your personal vault
  file    encrypted PKCS#8 files root.key / issuing.key (PBES2, AES-256) under the CA passphrase
  token   a PKCS#11 token (smart card, HSM): the key pairs are generated on the token, marked
          sensitive and not extractable, and the CA certificates are written beside them; the keys
          never leave it. Every later "cachet ca" command asks for the token's PIN instead of the
          passphrase. Chosen by --token-label.

Options:
  --name N              the CA's name (default "Cachet CA")
  --intermediate        also make an issuing intermediate CA
  --key TYPE            ${KEY_TYPES.join(', ')} (default rsa-3072)
  --http-base URL       where "cachet ca ocsp" will be reachable; issued certificates point their CRL
                        distribution point (URL/crl) and OCSP (URL/ocsp) there, the intermediate
                        URL/root.crl (default http://127.0.0.1:2560)
  --key-store S         vault (default), file, or token (then --token-label is required)
  --passphrase-file F   file holding the CA passphrase (else $CACHET_CA_PASSPHRASE, else a prompt)
  --token-label L       keep the keys on the PKCS#11 token labelled L
  --pkcs11-module PATH  the PKCS#11 module (default ${DEFAULT_PKCS11_MODULE})
  --pin-file F          the token PIN (else $CACHET_TOKEN_PIN, else a prompt)
  --json                print the result as JSON

Exit statuses: 0 created · 1 a CA exists already, or the token is absent · 2 usage ·
4 no passphrase, or a wrong PIN`;

const options = {
  name: { type: 'string' },
  intermediate: { type: 'boolean' },
  key: { type: 'string' },
  'http-base': { type: 'string' },
  'key-store': { type: 'string' },
  'token-label': { type: 'string' },
  'pkcs11-module': { type: 'string' },
  ...CA_SECRET_OPTIONS,
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const store = caStore(context);
    const keyType = parseKeyType(values.key ?? 'rsa-3072');
    const kind = values['key-store'] ?? (values['token-label'] !== undefined ? 'token' : 'vault');
    let keyStore: CaKeyStoreChoice;
    if (kind === 'token') {
      const tokenLabel = values['token-label'];
      if (tokenLabel === undefined) throw new CachetError('ERR_USAGE', '--key-store token needs --token-label L: the label of the token to keep the CA keys on');
      keyStore = { kind: 'pkcs11', module: values['pkcs11-module'] === undefined ? DEFAULT_PKCS11_MODULE : inputPath(values['pkcs11-module'], context), tokenLabel };
    } else if (kind === 'vault' || kind === 'file') {
      if (values['token-label'] !== undefined || values['pkcs11-module'] !== undefined || values['pin-file'] !== undefined) {
        throw new CachetError('ERR_USAGE', `--token-label, --pkcs11-module and --pin-file are for --key-store token, not ${kind}`);
      }
      keyStore = { kind };
    } else {
      throw new CachetError('ERR_USAGE', `--key-store must be vault, file or token (not "${kind}")`);
    }
    const settings = await withCaUnlock(values, context, (unlock) => setUpCa(store, {
      name: values.name ?? 'Cachet CA',
      intermediate: values.intermediate ?? false,
      keyType,
      httpBase: values['http-base'] ?? 'http://127.0.0.1:2560',
      keyStore,
      unlock,
    }));
    await store.audit.append({ who: caActor(context), action: 'init', details: { name: settings.name, intermediate: settings.intermediate, keyStore: keyStore.kind } });
    const where = keyStore.kind === 'pkcs11' ? `on the token "${keyStore.tokenLabel}"` : keyStore.kind === 'vault' ? 'in the CA vault' : 'in encrypted key files';
    if (values.json) context.stdout.write(`${JSON.stringify({ directory: store.directory, ...settings })}\n`);
    else context.stdout.write(`CA "${settings.name}" created in ${store.directory}${settings.intermediate ? ' (root + issuing intermediate)' : ''}; its keys are ${where}\n`);
    return 0;
  },
};

export default command;
