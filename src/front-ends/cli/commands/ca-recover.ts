/**
 * cachet ca recover SERIAL --officer NAME:FILE --officer NAME:FILE --out FILE.p12 [--password-file F] [--json]
 */
import { recoverKey } from '../../../adapters/ca/key-archive.js';
import { exportPfx } from '../../../adapters/ca/export.js';
import { getTemplate } from '../../../adapters/ca/templates.js';
import { CachetError } from '../../../errors.js';
import { onlyArgument, parseCommandArgs, required } from '../args.js';
import type { CliCommand } from '../context.js';
import { readSecret } from '../secrets.js';
import { caActor, caStore, inputPath, officerFrom, writeOutputFile } from './ca-support.js';

const help = `usage: cachet ca recover SERIAL --officer NAME:FILE --officer NAME:FILE --out FILE.p12 [--password-file F] [--json]

Recovers an archived encryption key ("cachet ca issue --archive-key") when two recovery officers act
together, each with their passphrase in FILE, and writes it with its certificate and the CA chain as
a PKCS#12 file under a new password (--password-file, else $CACHET_PASSWORD, else a prompt). The
recovery, with both officers' names, is in the audit log; so is a failed attempt.

Exit statuses: 0 recovered · 1 nothing archived for SERIAL · 2 usage (not two different officers) · 4 a wrong passphrase`;

const options = {
  officer: { type: 'string', multiple: true },
  out: { type: 'string' },
  'password-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    const serial = onlyArgument(positionals, 'give the serial of the certificate whose key to recover');
    if ((values.officer ?? []).length !== 2) throw new CachetError('ERR_USAGE', 'a recovery needs exactly two officers: --officer NAME:FILE --officer NAME:FILE');
    const out = required(values.out, 'out');
    const store = caStore(context);
    const entry = await store.findBySerial(serial);
    if (!entry) throw new CachetError('ERR_CERT_NOT_FOUND', `this CA issued no certificate ${serial}`);
    const [first, second] = [await officerFrom(values.officer![0]!, context), await officerFrom(values.officer![1]!, context)];
    const password = await readSecret({ file: values['password-file'] === undefined ? undefined : inputPath(values['password-file'], context), envVar: 'CACHET_PASSWORD', promptLabel: `Password for ${out}` }, context);
    const { pkcs8 } = await recoverKey(store, entry.serial, [first, second], caActor(context));
    const template = getTemplate(entry.template);
    const pfx = await exportPfx({ template, privateKeyPkcs8: pkcs8, certificate: new Uint8Array(Buffer.from(entry.certificate, 'base64')), chain: await store.chain(), password, friendlyName: `${entry.email} (${template.role}, recovered)` });
    await writeOutputFile(out, pfx, context);
    if (values.json) context.stdout.write(`${JSON.stringify({ serial: entry.serial, email: entry.email, officers: [first.name, second.name], out })}\n`);
    else context.stdout.write(`recovered the key of ${entry.serial} (${entry.email}) with ${first.name} and ${second.name} → ${out}\n`);
    return 0;
  },
};

export default command;
