/**
 * cachet ca cert [--chain] [--root] [-o FILE]
 */
import { pemEncode } from '../../../adapters/ca/ca-store.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { caStore, writeOutputFile } from './ca-support.js';

const help = `usage: cachet ca cert [--chain] [--root] [-o FILE]

Prints the CA certificate that issues users' certificates, as PEM.

Options:
  --chain          the whole chain: the issuing CA first, up to the root
  --root           the root only (the certificate users and validators trust)
  -o, --out FILE   write to FILE instead of stdout

Exit statuses: 0 printed · 1 no CA · 2 usage · 3 file I/O`;

const options = {
  chain: { type: 'boolean' },
  root: { type: 'boolean' },
  out: { type: 'string', short: 'o' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const store = caStore(context);
    const certificates = values.chain ? await store.chain() : values.root ? [await store.caCertificate('root')] : [await store.issuerCertificate()];
    const pem = certificates.map((c) => pemEncode(c, 'CERTIFICATE')).join('');
    if (values.out) await writeOutputFile(values.out, pem, context, 0o644);
    else context.stdout.write(pem);
    return 0;
  },
};

export default command;
