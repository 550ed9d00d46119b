/**
 * cachet decrypt [--key FILE.p12...] [--password-file F] [--json] [-i IN] [-o OUT]
 * Decrypts an S/MIME message or a bare CMS object; writes the inner entity only once its integrity
 * is established (GCM tag, CBC padding), so nothing unauthenticated is ever released.
 */
import { decryptCms, decryptEnvelopedEntity, type DecryptionReport } from '../../../engine/smime/decrypt.js';
import { readMimeEntity } from '../../../engine/mime/entity-reader.js';
import { cmsInput } from '../../../engine/smime/cms-input.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand, CliContext } from '../context.js';
import { loadDecryptors } from '../credentials.js';
import type { Decryptor } from '../../../engine/keys.js';
import { OWN_KEY_OPTIONS } from '../own-key-options.js';
import { openInput, openOutput, sniffInput, writeOutput } from '../io.js';
import type { ByteSink } from '../../../engine/stream-types.js';
import { cipherWarning } from '../../../engine/smime/reader-notices.js';

const help = `usage: cachet decrypt [--key FILE.p12]... [--password-file F] [--json] [-i IN] [-o OUT]

Decrypts the S/MIME message (or bare CMS, DER or PEM) read from IN (default stdin) and writes the
decrypted inner entity to OUT (default stdout) — only after its integrity has been checked.

Options:
  --key FILE          PKCS#12 file (or PEM key + certificate) holding a decryption key; repeatable.
                      Without it: your encryption keys (old ones too) from your vault, token or
                      the shared vault, as the policy's certificateSource says
  --password-file F   file holding the PKCS#12 password (else $CACHET_PASSWORD, else a prompt)
  --json              print one JSON object describing the decryption (the content goes to -o)
  -i, --in FILE       input (default stdin)
  -o, --out FILE      output (default stdout, or nothing with --json)

Exit statuses: 0 decrypted · 1 cannot decrypt (not a recipient, damaged, tampered) · 2 usage ·
3 file I/O · 4 wrong password`;

const options = {
  key: { type: 'string', multiple: true },
  'password-file': { type: 'string' },
  json: { type: 'boolean' },
  in: { type: 'string', short: 'i' },
  out: { type: 'string', short: 'o' },
  ...OWN_KEY_OPTIONS,
} as const;

export function decryptionJson(report: DecryptionReport): Record<string, unknown> {
  return {
    decrypted: true,
    contentEncryption: report.contentEncryption,
    keyManagement: report.keyManagement,
    authenticated: report.authenticated,
    recipient: report.recipient,
    recipientCount: report.recipientCount,
    warnings: decryptionWarnings(report),
  };
}

/** What `cachet decrypt` says beside the plaintext: a legacy cipher, and CBC's missing integrity. */
function decryptionWarnings(report: DecryptionReport): string[] {
  const cipher = cipherWarning(report);
  return [...(cipher ? [cipher] : []), ...(report.authenticated ? [] : ['the content has no integrity protection (CBC, not AuthEnvelopedData): a change in transit cannot be detected unless it is signed inside'])];
}

function warn(report: DecryptionReport, values: { json?: boolean }, context: CliContext): void {
  if (!values.json) for (const warning of decryptionWarnings(report)) context.stderr.write(`cachet: warning: ${warning}\n`);
}

type Values = ReturnType<typeof parseCommandArgs<typeof options>>['values'];

/**
 * Decrypts IN and releases the plaintext only once its integrity is established (GCM tag, CBC
 * padding). To a file (-o), it is written straight into the hidden temporary file that becomes the
 * output only on success and is deleted otherwise — the same guarantee as the spool without a second
 * pass over the data. To stdout, which cannot be taken back, it waits in the spool.
 */
async function decryptInput(decryptors: Decryptor[], values: Values, context: CliContext): Promise<number> {
  const { kind, stream } = await sniffInput(openInput(values.in, context, { recycle: true }));
  const run = (sink: ByteSink) =>
    kind === 'cms' ? cmsInput(stream).then((cms) => decryptCms(cms, sink, { decryptors })) : readMimeEntity(stream).then((entity) => decryptEnvelopedEntity(entity, sink, { decryptors }));
  if (values.out !== undefined && values.out !== '-') {
    const output = await openOutput(values.out, context);
    let report: DecryptionReport;
    try {
      report = await run(output);
      await output.commit();
    } catch (error) {
      await output.abort();
      throw error;
    }
    if (values.json) context.stdout.write(`${JSON.stringify(decryptionJson(report))}\n`);
    warn(report, values, context);
    return 0;
  }
  // Loaded only here: a decryption to a file (-o) never needs it.
  const { Spool } = await import('../../../engine/spool.js');
  const spool = new Spool();
  try {
    const report = await run(spool);
    if (values.json) context.stdout.write(`${JSON.stringify(decryptionJson(report))}\n`);
    warn(report, values, context);
    if (values.out !== undefined || !values.json) await writeOutput(values.out, context, spool.read());
    return 0;
  } finally {
    await spool.dispose();
  }
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    if (values.key && values.key.length > 0) return decryptInput(await loadDecryptors(values.key, values['password-file'], context), values, context);
    // The keys may live on a token or in the vault service: they stay open while the message is decrypted.
    // Loaded only here: the key sources bring the PKCS#11 binding and the vault client with them.
    const { withOwnKeys, ownDecryptors } = await import('../own-keys.js');
    return withOwnKeys(context, values, async ({ store }) => decryptInput(await ownDecryptors(store), values, context));
  },
};

export default command;
