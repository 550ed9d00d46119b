/**
 * cachet encrypt --to CERT... [--cipher C] [--oaep] [-i IN] [-o OUT]
 * Encrypts a message to the recipients' certificates (PEM or DER).
 */
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { CachetError } from '../../../errors.js';
import type { ContentCipher, Recipient } from '../../../engine/keys.js';
import { recipientCertificateProblem } from '../../../engine/pki/certificate-role.js';
import { CIPHERS, encryptMessage } from '../../../engine/smime/encrypt.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { pemBlocks } from '../credentials.js';
import { openInput, writeOutput } from '../io.js';

const help = `usage: cachet encrypt --to CERT [--to CERT]... [--cipher C] [--oaep] [-i IN] [-o OUT]

Encrypts the message read from IN (default stdin) to every recipient certificate and writes the
S/MIME message to OUT (default stdout). The message's Content-* fields and body are encrypted;
From, To, Subject… stay outside.

Options:
  --to CERT           a recipient's certificate, PEM or DER; repeatable
  --cipher C          aes-256-gcm | aes-128-gcm (AuthEnvelopedData) |
                      aes-256-cbc (default) | aes-192-cbc | aes-128-cbc (EnvelopedData)
  --oaep              RSA-OAEP (SHA-256) key transport instead of PKCS#1 v1.5 for RSA recipients
  -i, --in FILE       input message (default stdin)
  -o, --out FILE      output (default stdout); written only when encryption succeeds

Exit statuses: 0 encrypted · 1 failure (unsuitable certificate) · 2 usage · 3 file I/O`;

const options = {
  to: { type: 'string', multiple: true },
  cipher: { type: 'string' },
  oaep: { type: 'boolean' },
  in: { type: 'string', short: 'i' },
  out: { type: 'string', short: 'o' },
} as const;

/** Reads a recipient's certificate for --to: PEM (the first CERTIFICATE block) or DER. */
async function readRecipientCertificate(path: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CachetError('ERR_INPUT_READ', `cannot read the certificate ${path}`, { cause: error, details: { file: path } });
  }
  const der = bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN') ? pemBlocks(bytes.toString('latin1'), /^(X509 )?CERTIFICATE$/)[0] : bytes;
  try {
    if (!der) throw new Error('no CERTIFICATE block');
    new X509Certificate(der);
  } catch (error) {
    throw new CachetError('ERR_CERT_MALFORMED', `${path} is not a certificate (PEM or DER)`, { cause: error, details: { file: path } });
  }
  // The same rule, and the same sentence, as for the recipients of `cachet send`.
  const unsuitable = recipientCertificateProblem(der);
  if (unsuitable) throw new CachetError('ERR_RECIPIENT_KEY_UNSUITABLE', `the certificate ${path} ${unsuitable}`, { details: { file: path } });
  return der;
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    if (!values.to || values.to.length === 0) throw new CachetError('ERR_USAGE', 'the option --to is required (a recipient certificate)');
    const cipher = (values.cipher ?? 'aes-256-cbc').toLowerCase() as ContentCipher;
    if (!CIPHERS.includes(cipher)) throw new CachetError('ERR_USAGE', `--cipher must be one of ${CIPHERS.join(', ')}`);
    const recipients: Recipient[] = [];
    for (const path of values.to) recipients.push({ certificate: await readRecipientCertificate(path), keyTransport: values.oaep ? 'rsa-oaep' : 'rsa-pkcs1' });
    await writeOutput(values.out, context, encryptMessage(openInput(values.in, context, { recycle: true }), { recipients, cipher }));
    return 0;
  },
};

export default command;
