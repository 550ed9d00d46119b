/**
 * cachet trust add CERT... [--force] [--json]
 * Adds root or intermediate CA certificates to the user's trust store.
 */
import { CachetError } from '../../../errors.js';
import { certificateInfo } from '../../../engine/pki/certificate-info.js';
import { addTrustAnchor } from '../../../adapters/keys/trust-store.js';
import { parseCommandArgs } from '../args.js';
import { readCertificateFile } from '../certificate-files.js';
import { colonHex } from '../certificate-text.js';
import type { CliCommand } from '../context.js';
import { cachetHome } from '../trust.js';

const help = `usage: cachet trust add CERT... [--force] [--json]

Adds the CA certificates in each CERT file (PEM, possibly several; DER; PKCS#7 .p7b/.p7c) to your
trust store ($CACHET_HOME/trust/, one file per certificate named by its SHA-256 fingerprint). Signers
and recipients are trusted when their chain ends at one of these (or at one given with --trust).
Compare the fingerprint printed with the one your administrator published.

Options:
  --force   also add a certificate that is not a CA (it is then trusted on its own)
  --json    print {"added": [{"id", "subject", "new"}]}

Exit statuses: 0 added · 1 not a CA certificate (without --force) or unreadable · 2 usage · 3 file I/O`;

const options = {
  force: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    if (positionals.length === 0) throw new CachetError('ERR_USAGE', 'name the CA certificate file to trust');
    const home = cachetHome(context);
    // Read and check every file first: one bad file adds nothing.
    const certificates: Uint8Array[] = [];
    for (const file of positionals) {
      const contents = await readCertificateFile(file, undefined, context);
      if (contents.kind === 'pkcs12') throw new CachetError('ERR_USAGE', `${file} is a PKCS#12 file; trust the CA certificate itself (PEM or DER)`);
      certificates.push(...contents.certificates);
    }
    if (values.force !== true) {
      const notCa = certificates.map(certificateInfo).find((info) => !info.isCa);
      if (notCa) {
        throw new CachetError('ERR_TRUST_STORE', `${notCa.subject} is not a CA certificate; trusting it directly would bypass its issuer's checks (add --force if you really mean it)`, {
          details: { fingerprint: notCa.fingerprintSha256 },
        });
      }
    }
    const added = [];
    for (const der of certificates) added.push(await addTrustAnchor(home, der, { force: values.force === true }));
    if (values.json) {
      context.stdout.write(`${JSON.stringify({ added: added.map(({ entry, added: isNew }) => ({ id: entry.id, subject: entry.info.subject, new: isNew })) })}\n`);
      return 0;
    }
    for (const { entry, added: isNew } of added) {
      context.stdout.write(`${isNew ? 'trusted' : 'already trusted'}: ${entry.info.subject}\n  SHA-256 ${colonHex(entry.id)}\n`);
    }
    return 0;
  },
};

export default command;
