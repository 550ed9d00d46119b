/**
 * cachet ca issue --template T --email E --name N --out FILE.p12 [--password-file F] [--legacy] [--key TYPE]
 * cachet ca issue --template T --csr REQ.pem --out CERT.pem [--email E] [--chain]
 */
import { readFile } from 'node:fs/promises';
import { CachetError } from '../../../errors.js';
import { pemEncode } from '../../../adapters/ca/ca-store.js';
import { acceptRequest } from '../../../adapters/ca/csr.js';
import { checkExportAllowed, exportPfx, loadPfxWriter } from '../../../adapters/ca/export.js';
import { checkMailbox, issueCertificate } from '../../../adapters/ca/issue.js';
import { generateKeyPairOf, parseKeyType } from '../../../adapters/ca/key-pair.js';
import { getTemplate, validityDaysFor } from '../../../adapters/ca/templates.js';
import { parseCommandArgs, required, wholeNumberOption } from '../args.js';
import type { CliCommand } from '../context.js';
import { readSecret } from '../secrets.js';
import { recordPfx } from '../../../adapters/ca/records.js';
import { archiveKey, checkArchivable } from '../../../adapters/ca/key-archive.js';
import bulkIssue, { BULK_HELP } from './ca-issue-bulk.js';
import { CA_SECRET_OPTIONS, caActor, caIssuer, caStore, inputPath, withCaUnlock, writeOutputFile } from './ca-support.js';

const help = `usage: cachet ca issue --template T --email E [--name N] --out FILE.p12 [--password-file F] [--legacy] [--key TYPE]
       cachet ca issue --template T --csr REQ.pem --out CERT.pem [--email E] [--chain]
${BULK_HELP}

Issues a certificate from a template (see "cachet ca template list"); the bulk forms below issue
for many users at once.

With --email, Cachet makes the key pair and writes a password-protected PKCS#12 file holding the key,
the certificate and the whole CA chain (modern PBES2/AES-256 with a SHA-256 MAC; --legacy for
3DES with a SHA-1 MAC, for old clients).

With --csr, the PKCS#10 request's signature is checked and its key must meet the template (RSA at
least 2048 bits, EC P-256 or P-384); the mailbox comes from the request's subjectAltName (or its
emailAddress), or from --email, which must then agree. Only the certificate is written (PEM).

Options:
  --template T         signing-only, encryption-only, dual (BR strict), multipurpose or
                       multipurpose-signing (BR multipurpose: emailProtection + clientAuth); or
                       the enterprise name ("Exchange User"); see "cachet ca template list"
  --days N             validity in days (default the template's, 730); more than the S/MIME BR
                       allow (825) is refused (exit 7)
  --email E            the mailbox to certify
  --name N             the person's name: the PKCS#12 friendly name (the certificate subject holds
                       the mailbox only, as the S/MIME Baseline Requirements' strict profile asks)
  --key TYPE           rsa-2048 (default), rsa-3072, rsa-4096, ec-p256, ec-p384
  --csr FILE           a PKCS#10 request (PEM or DER)
  --out FILE           the PKCS#12 file, or the certificate (PEM) for --csr
  --chain              with --csr: append the CA chain to CERT.pem
  --password-file F    the PKCS#12 password (else $CACHET_PASSWORD, else a prompt)
  --legacy             legacy PKCS#12 encryption (3DES, SHA-1 MAC)
  --archive-key        keep a copy of the new private key at the CA under the recovery key
                       ("cachet ca recovery-init"; two officers recover it with "cachet ca recover");
                       encryption-only templates only — a signing key is never archived (exit 7)
  --passphrase-file F  the CA passphrase (else $CACHET_CA_PASSPHRASE, else a prompt)
  --pin-file F         for a CA whose keys are on a token: its PIN (else $CACHET_TOKEN_PIN, else a prompt)
  --json               print the issued certificate's serial, subject and dates as JSON

Exit statuses: 0 issued · 1 refused (key too small, bad request) · 2 usage · 3 file I/O · 4 passphrase ·
7 a validity longer than the S/MIME BR allow`;

const options = {
  template: { type: 'string' },
  days: { type: 'string' },
  email: { type: 'string' },
  name: { type: 'string' },
  key: { type: 'string' },
  csr: { type: 'string' },
  out: { type: 'string' },
  chain: { type: 'boolean' },
  'password-file': { type: 'string' },
  legacy: { type: 'boolean' },
  'archive-key': { type: 'boolean' },
  ...CA_SECRET_OPTIONS,
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    // Many users at once: the bulk form has its own options (ca-issue-bulk.ts).
    if (args.some((a) => a === '--from-csv' || a === '--from-ldap-group' || a.startsWith('--from-csv=') || a.startsWith('--from-ldap-group='))) {
      return bulkIssue.run(args, context);
    }
    const { values } = parseCommandArgs(args, options);
    const template = getTemplate(required(values.template, 'template'));
    const requestedDays = wholeNumberOption(values.days, 'days', 'days', { min: 1 });
    const validityDays = requestedDays === undefined ? undefined : validityDaysFor(template, requestedDays);
    const out = required(values.out, 'out');
    const store = caStore(context);
    let result;
    if (values.csr !== undefined) {
      if (values.key || values.legacy || values['password-file'] || values.name || values['archive-key']) {
        throw new CachetError('ERR_USAGE', '--key, --name, --password-file, --legacy and --archive-key do not apply to --csr (the requester holds the key)');
      }
      let bytes: Buffer;
      try {
        bytes = await readFile(inputPath(values.csr, context));
      } catch (error) {
        throw new CachetError('ERR_INPUT_READ', `cannot read the request ${values.csr}`, { cause: error, details: { file: values.csr } });
      }
      const accepted = await acceptRequest(bytes, template, values.email);
      result = await withCaUnlock(values, context, async (unlock) => issueCertificate(store, await caIssuer(store, unlock), { template, spki: accepted.spki, email: accepted.email, validityDays, actor: caActor(context), deliveredVia: 'certificate request (the requester holds the key)' }));
      const pem = [result.certificate, ...(values.chain ? await store.chain() : [])].map((c) => pemEncode(c, 'CERTIFICATE')).join('');
      await writeOutputFile(out, pem, context, 0o644);
    } else {
      const email = checkMailbox(required(values.email, 'email'));
      const keyType = parseKeyType(values.key ?? template.defaultKeyType);
      // Everything that can fail comes before a certificate is issued: an issued certificate whose
      // key cannot be handed out would sit in the index for nothing.
      const password = await readSecret({ file: values['password-file'] === undefined ? undefined : inputPath(values['password-file'], context), envVar: 'CACHET_PASSWORD', promptLabel: `Password for ${out}` }, context);
      checkExportAllowed(template, password);
      if (values['archive-key']) await checkArchivable(store, template);
      const writePfx = await loadPfxWriter();
      const keyPair = await generateKeyPairOf(keyType);
      result = await withCaUnlock(values, context, async (unlock) => issueCertificate(store, await caIssuer(store, unlock), { template, spki: keyPair.spki, email, validityDays, actor: caActor(context) }));
      const pfx = await exportPfx({
        template,
        privateKeyPkcs8: new Uint8Array(keyPair.privateKey.export({ type: 'pkcs8', format: 'der' })),
        certificate: result.certificate,
        chain: await store.chain(),
        password,
        friendlyName: values.name ? `${values.name} (${template.role})` : `${result.entry.email} (${template.role})`,
        legacy: values.legacy ?? false,
      }, writePfx);
      await writeOutputFile(out, pfx, context);
      if (values['archive-key']) await archiveKey(store, template, result.entry, new Uint8Array(keyPair.privateKey.export({ type: 'pkcs8', format: 'der' })), caActor(context));
      // `ca distribute` recognises this file by its digest, and only then is the certificate published.
      await recordPfx(store, result.entry.serial, pfx);
    }
    const { entry } = result;
    if (values.json) {
      context.stdout.write(`${JSON.stringify({ serial: entry.serial, subject: entry.subject, email: entry.email, template: entry.template, notBefore: entry.notBefore, notAfter: entry.notAfter, out })}\n`);
    } else {
      context.stdout.write(`issued ${entry.template} certificate ${entry.serial} for ${entry.email} (valid until ${entry.notAfter.slice(0, 10)}) → ${out}\n`);
      if (values.csr === undefined) context.stdout.write('Give the PKCS#12 password to its owner through another channel than the file; "cachet ca distribute" mails the file, and "cachet ca publish" then publishes the certificate.\n');
    }
    return 0;
  },
};

export default command;
