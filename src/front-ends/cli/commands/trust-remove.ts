/**
 * cachet trust remove FINGERPRINT|CERT [--json]
 * Removes a trust anchor from the user's trust store.
 */
import { existsSync } from 'node:fs';
import { CachetError } from '../../../errors.js';
import { removeTrustAnchor } from '../../../adapters/keys/trust-store.js';
import { onlyArgument, parseCommandArgs } from '../args.js';
import { readCertificateFile } from '../certificate-files.js';
import { colonHex } from '../certificate-text.js';
import type { CliCommand } from '../context.js';
import { cachetHome } from '../trust.js';

const help = `usage: cachet trust remove FINGERPRINT|CERT [--json]

Stops trusting a CA: give its SHA-256 fingerprint (or the first 8+ hex digits, as "cachet trust
list" shows them; colons allowed) or the certificate file itself.

Options:
  --json    print {"removed": {"id", "subject"}}

Exit statuses: 0 removed · 1 not in the trust store · 2 usage · 3 file I/O`;

const options = {
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    const selector = onlyArgument(positionals, 'name the certificate to remove: its fingerprint or its file');
    const home = cachetHome(context);
    let removed;
    if (existsSync(selector)) {
      const contents = await readCertificateFile(selector, undefined, context);
      if (contents.certificates.length !== 1) throw new CachetError('ERR_USAGE', `${selector} holds ${contents.certificates.length} certificates; remove them one at a time by fingerprint`);
      removed = await removeTrustAnchor(home, { certificate: contents.certificates[0]! });
    } else {
      removed = await removeTrustAnchor(home, { id: selector });
    }
    if (values.json) context.stdout.write(`${JSON.stringify({ removed: { id: removed.id, subject: removed.info.subject } })}\n`);
    else context.stdout.write(`no longer trusted: ${removed.info.subject}\n  SHA-256 ${colonHex(removed.id)}\n`);
    return 0;
  },
};

export default command;
