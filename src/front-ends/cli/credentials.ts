/**
 * Loading the user's key and certificates from a file named on the command line: a PKCS#12 file
 * (password from --password-file, $CACHET_PASSWORD or a prompt), or a PEM file holding an
 * unencrypted PRIVATE KEY and its CERTIFICATE chain (convenient for scripts and tests).
 */
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CachetError } from '../../errors.js';
import type { Decryptor, PrivateKeyHandle } from '../../engine/keys.js';
import { softwareKey } from '../../engine/software-key.js';
import { readPfx } from '../../engine/pkcs12/pfx-read.js';
import type { CliContext } from './context.js';
import { readSecret } from './secrets.js';

export interface FileCredential {
  certificate: Uint8Array;
  chain: Uint8Array[];
  key: PrivateKeyHandle;
  privateKeyPkcs8: Uint8Array;
  friendlyName?: string;
}

/** PEM blocks whose label matches, as DER. */
export function pemBlocks(text: string, label: RegExp): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 #]+)-----([\s\S]*?)-----END \1-----/g)) {
    if (label.test(m[1]!)) out.push(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
  }
  return out;
}

/** Every credential (key + certificate) in the file, the first one first. */
export async function loadCredentialFile(path: string, passwordFile: string | undefined, context: CliContext): Promise<FileCredential[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CachetError('ERR_INPUT_READ', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { cause: error, details: { file: path } });
  }
  if (bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN')) {
    const pem = bytes.toString('latin1');
    const [keyDer] = pemBlocks(pem, /^PRIVATE KEY$/);
    const certificates = pemBlocks(pem, /^CERTIFICATE$/);
    if (!keyDer) throw new CachetError('ERR_PKCS12_NO_KEY', `${path} holds no unencrypted PRIVATE KEY block`);
    if (certificates.length === 0) throw new CachetError('ERR_CERT_NOT_FOUND', `${path} holds no CERTIFICATE block`);
    const key = createPrivateKey({ key: keyDer, format: 'der', type: 'pkcs8' });
    return [{ certificate: certificates[0]!, chain: certificates.slice(1), key: softwareKey(key), privateKeyPkcs8: keyDer }];
  }
  const password = await readSecret({ file: passwordFile, envVar: 'CACHET_PASSWORD', promptLabel: `Password for ${path}` }, context);
  let contents;
  try {
    contents = await readPfx(bytes, password);
  } catch (error) {
    if (error instanceof CachetError && error.code === 'ERR_PKCS12_BAD_PASSWORD') {
      throw new CachetError('ERR_PKCS12_BAD_PASSWORD', `the password for ${path} is wrong`, { cause: error, details: { file: path } });
    }
    throw error;
  }
  if (contents.credentials.length === 0) throw new CachetError('ERR_PKCS12_NO_KEY', `${path} holds no private key with its certificate`);
  return contents.credentials.map((c) => ({
    certificate: c.certificate,
    chain: c.chain,
    key: softwareKey(createPrivateKey({ key: Buffer.from(c.privateKeyPkcs8), format: 'der', type: 'pkcs8' })),
    privateKeyPkcs8: c.privateKeyPkcs8,
    ...(c.friendlyName ? { friendlyName: c.friendlyName } : {}),
  }));
}

/** Decryptors from several key files (each may hold several keys). */
export async function loadDecryptors(paths: string[], passwordFile: string | undefined, context: CliContext): Promise<Decryptor[]> {
  const all: Decryptor[] = [];
  for (const path of paths) {
    for (const credential of await loadCredentialFile(path, passwordFile, context)) all.push({ certificate: credential.certificate, key: credential.key });
  }
  return all;
}
