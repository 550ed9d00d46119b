/**
 * cachet ca crl [--out F] [--pem] [--passphrase-file F]
 */
import { pemEncode } from '../../../adapters/ca/ca-store.js';
import { CachetError } from '../../../errors.js';
import { publishCrl, publishRootCrl } from '../../../adapters/ca/crl.js';
import { parseCommandArgs } from '../args.js';
import { byteOutput } from '../terminal-text.js';
import type { CliCommand } from '../context.js';
import { CA_SECRET_OPTIONS, caIssuer, caStore, withCaUnlock, writeOutputFile } from './ca-support.js';

const help = `usage: cachet ca crl [--root] [--out F] [--pem] [--passphrase-file F]

Signs a fresh CRL (all revoked certificates still within their validity, a new CRL number, valid for
7 days), stores it where "cachet ca ocsp" serves it (/crl), and writes it to F or stdout.

Options:
  -o, --out F          write the CRL to F (DER unless --pem)
  --pem                PEM instead of DER
  --root               the root's CRL instead (served at /root.crl; the intermediate points there),
                       signed with the root key, valid 7 days
  --passphrase-file F  the CA passphrase (else $CACHET_CA_PASSPHRASE, else a prompt)
  --pin-file F         for a CA whose keys are on a token: its PIN (else $CACHET_TOKEN_PIN, else a prompt)

Exit statuses: 0 published · 1 no CA · 3 file I/O · 4 passphrase`;

const options = {
  out: { type: 'string', short: 'o' },
  pem: { type: 'boolean' },
  ...CA_SECRET_OPTIONS,
  root: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const store = caStore(context);
    if (values.root && !(await store.settings()).intermediate) throw new CachetError('ERR_USAGE', 'this CA has no intermediate: its one CRL is the one "cachet ca crl" makes');
    const der = await withCaUnlock(values, context, async (unlock) => values.root
      ? publishRootCrl(store, await store.loadKeyPair('root', unlock))
      : publishCrl(store, await caIssuer(store, unlock)));
    const output = values.pem ? pemEncode(der, 'X509 CRL') : der;
    if (values.out) await writeOutputFile(values.out, output, context, 0o644);
    else byteOutput(context.stdout).write(output);
    return 0;
  },
};

export default command;
