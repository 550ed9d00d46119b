/**
 * cachet cert inspect FILE [--password-file F] [--json]
 * Shows what a certificate file holds, and the S/MIME role each certificate would take.
 */
import { Buffer } from 'node:buffer';
import { certificateInfo } from '../../../engine/pki/certificate-info.js';
import { onlyArgument, parseCommandArgs } from '../args.js';
import { readCertificateFile } from '../certificate-files.js';
import { certificateText } from '../certificate-text.js';
import type { CliCommand } from '../context.js';

const help = `usage: cachet cert inspect FILE [--password-file F] [--json]

Shows each certificate in FILE: subject, e-mail addresses, issuer, serial, validity, key algorithm
and size, keyUsage, extendedKeyUsage, the S/MIME role it would take (signing, encryption, dual or
none) and its SHA-256 fingerprint. FILE may be PKCS#12 (.p12, .pfx), PEM (.pem, .crt), DER (.cer,
.der) or PKCS#7 certs-only (.p7b, .p7c). The holder's certificate comes first, then its chain.

Options:
  --password-file F   the PKCS#12 password (else $CACHET_PASSWORD, else a prompt)
  --json              one JSON object: {"file", "format", "certificates": [...], "chain": [...]}

Exit statuses: 0 shown · 2 usage · 3 file I/O · 4 wrong password · 1 unreadable file`;

const options = {
  'password-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    const file = onlyArgument(positionals, 'name the certificate file to inspect');
    const contents = await readCertificateFile(file, values['password-file'], context);
    const withKey = new Set(contents.credentials.map((c) => Buffer.from(c.certificate).toString('base64')));
    const certificates = contents.certificates.map((der) => ({ ...certificateInfo(der), privateKey: withKey.has(Buffer.from(der).toString('base64')) }));
    if (values.json) {
      context.stdout.write(`${JSON.stringify({ file, format: contents.kind, certificates, chain: certificates.slice(1).map((c) => c.subject) })}\n`);
      return 0;
    }
    certificates.forEach((info, index) => {
      const heading = `Certificate ${index + 1} of ${certificates.length}${info.privateKey ? ' (with its private key)' : index > 0 ? ' (chain)' : ''}`;
      context.stdout.write(`${index > 0 ? '\n' : ''}${heading}\n${certificateText(info)}\n`);
    });
    return 0;
  },
};

export default command;
