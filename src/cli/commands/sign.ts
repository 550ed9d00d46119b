/**
 * cachet sign --signer FILE.p12 [--password-file F] [--opaque] [-i IN] [-o OUT]
 * Signs a message (or a bare MIME entity) with the key and certificate of a PKCS#12 file.
 */
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { CachetError } from '../../engine/errors.js';
import type { DigestAlgorithm, Signer } from '../../engine/keys.js';
import { softwareKey } from '../../engine/software-key.js';
import { signMessage } from '../../engine/smime/sign.js';
import { readPfx } from '../../engine/pkcs12/pfx-read.js';
import { parseCommandArgs, required } from '../args.js';
import type { CliCommand, CliContext } from '../context.js';
import { openInput, openOutput } from '../io.js';
import { readSecret } from '../secrets.js';

const help = `usage: cachet sign --signer FILE.p12 [--password-file F] [--opaque] [-i IN] [-o OUT]

Signs the message read from IN (default stdin) and writes the signed message to OUT (default stdout).
The message's Content-* fields and body are signed; From, To, Subject… stay outside.

Options:
  --signer FILE        PKCS#12 file with the signing key and certificate (or a PEM file holding
                       the private key and the certificate chain)
  --password-file F    file holding the PKCS#12 password (else $CACHET_PASSWORD, else a prompt)
  --opaque             application/pkcs7-mime signed-data instead of multipart/signed
  --digest ALG         sha256, sha384 or sha512 (default: sha256; sha384/sha512 for P-384/P-521)
  --pss                RSA-PSS instead of RSA PKCS#1 v1.5 for RSA keys
  -i, --in FILE        input message (default stdin)
  -o, --out FILE       output (default stdout); written only when signing succeeds

Exit statuses: 0 signed · 2 usage · 3 file I/O · 4 password · 1 other failure`;

const options = {
  signer: { type: 'string' },
  'password-file': { type: 'string' },
  opaque: { type: 'boolean' },
  digest: { type: 'string' },
  pss: { type: 'boolean' },
  in: { type: 'string', short: 'i' },
  out: { type: 'string', short: 'o' },
} as const;

/** PEM blocks of one label, as DER. */
function pemBlocks(text: string, label: RegExp): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
    if (label.test(m[1]!)) out.push(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
  }
  return out;
}

async function loadSigner(path: string, passwordFile: string | undefined, context: CliContext): Promise<Omit<Signer, 'digest' | 'rsaScheme'>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CachetError('ERR_INPUT_READ', `cannot read the signer file ${path}`, { cause: error, details: { file: path } });
  }
  const text = bytes.subarray(0, 64).toString('latin1');
  if (text.includes('-----BEGIN')) {
    // A PEM key and chain: convenient for scripts and tests; the key must not be encrypted.
    const pem = bytes.toString('latin1');
    const [keyDer] = pemBlocks(pem, /^PRIVATE KEY$/);
    const certificates = pemBlocks(pem, /^CERTIFICATE$/);
    if (!keyDer) throw new CachetError('ERR_PKCS12_NO_KEY', `${path} holds no unencrypted PRIVATE KEY block`);
    if (certificates.length === 0) throw new CachetError('ERR_CERT_NOT_FOUND', `${path} holds no CERTIFICATE block`);
    const key = createPrivateKey({ key: keyDer, format: 'der', type: 'pkcs8' });
    return { certificate: certificates[0]!, chain: certificates.slice(1), key: softwareKey(key) };
  }
  const password = await readSecret({ file: passwordFile, envVar: 'CACHET_PASSWORD', promptLabel: `Password for ${path}` }, context);
  const pfx = await readPfx(bytes, password);
  const credential = pfx.credentials[0];
  if (!credential) throw new CachetError('ERR_PKCS12_NO_KEY', `${path} holds no private key`);
  const key = createPrivateKey({ key: Buffer.from(credential.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
  // A second credential in the file (a separate encryption key) is announced as our encryption certificate.
  const other = pfx.credentials[1];
  return {
    certificate: credential.certificate,
    chain: credential.chain,
    key: softwareKey(key),
    ...(other ? { encryptionCertificate: other.certificate } : {}),
  };
}

export async function writeAll(stream: Writable, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of chunks) {
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
}

const command: CliCommand = {
  summary: 'sign a message (S/MIME, detached or opaque)',
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const signerPath = required(values.signer, 'signer');
    const digest = values.digest?.toLowerCase().replace('-', '');
    if (digest !== undefined && !['sha256', 'sha384', 'sha512'].includes(digest)) {
      throw new CachetError('ERR_USAGE', `--digest must be sha256, sha384 or sha512 (Cachet never signs with ${values.digest})`);
    }
    const base = await loadSigner(signerPath, values['password-file'], context);
    const signer: Signer = { ...base, ...(digest ? { digest: digest as DigestAlgorithm } : {}), ...(values.pss ? { rsaScheme: 'rsa-pss' as const } : {}) };
    const input = openInput(values.in, context);
    const output = await openOutput(values.out, context);
    try {
      await writeAll(output.stream, signMessage(input, { signers: [signer], mode: values.opaque ? 'opaque' : 'detached' }));
      await output.commit();
    } catch (error) {
      await output.abort();
      throw error;
    }
    return 0;
  },
};

export default command;
