/**
 * Reading the certificate files people are handed: PEM (.pem, .crt, possibly several), DER (.cer,
 * .der), PKCS#7 certs-only (.p7b, .p7c; DER or PEM) and PKCS#12 (.p12, .pfx; password needed).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { CachetError, isCachetError } from '../../errors.js';
import { readPfx, type PfxCredential } from '../../engine/pkcs12/pfx-read.js';
import { readCertsOnly } from '../../engine/smime/certs-only.js';
import { certificateInfo } from '../../engine/pki/certificate-info.js';
import type { CliContext } from './context.js';
import { pemBlocks } from './credentials.js';
import { readSecret } from './secrets.js';

export type CertificateFileKind = 'pkcs12' | 'pem' | 'der' | 'pkcs7';

export interface CertificateFile {
  kind: CertificateFileKind;
  /** Every certificate in the file, the holder's first where the file says which. */
  certificates: Uint8Array[];
  /** For PKCS#12: the keys with their certificates and chains. */
  credentials: PfxCredential[];
}

const PKCS12_EXTENSIONS = new Set(['.p12', '.pfx']);
const MAX_CERTIFICATE_FILE = 16 * 1024 * 1024;

export async function readFileBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CachetError('ERR_INPUT_READ', `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message)}`, { cause: error, details: { file: path } });
  }
}

/** Reads a PKCS#12 file; a wrong password is ERR_PKCS12_BAD_PASSWORD naming the file. */
export async function readPkcs12File(path: string, bytes: Buffer, passwordFile: string | undefined, context: CliContext): Promise<CertificateFile> {
  const password = await readSecret({ file: passwordFile, envVar: 'CACHET_PASSWORD', promptLabel: `Password for ${path}` }, context);
  try {
    const contents = await readPfx(bytes, password);
    const first = contents.credentials[0]?.certificate;
    const certificates = first ? [first, ...contents.certificates.filter((c) => !Buffer.from(c).equals(first))] : contents.certificates;
    return { kind: 'pkcs12', certificates, credentials: contents.credentials };
  } catch (error) {
    if (isCachetError(error, 'ERR_PKCS12_BAD_PASSWORD')) {
      throw new CachetError('ERR_PKCS12_BAD_PASSWORD', `the password for ${path} is wrong`, { cause: error, details: { file: path } });
    }
    throw error;
  }
}

function isCertificate(der: Uint8Array): boolean {
  try {
    certificateInfo(der);
    return true;
  } catch {
    return false;
  }
}

/**
 * Which DER format a file is, from its first elements alone, so that a damaged file is named for
 * what it is (a truncated certificate is not "not a readable PKCS#12 file"): a Certificate begins
 * SEQUENCE { SEQUENCE (the TBSCertificate), a ContentInfo SEQUENCE { OBJECT IDENTIFIER, a PFX
 * SEQUENCE { INTEGER (version 3). Undefined when the bytes do not begin like DER or BER at all.
 */
export function sniffDerFormat(bytes: Uint8Array): 'der' | 'pkcs7' | 'pkcs12' | undefined {
  if (bytes[0] !== 0x30 || bytes.length < 4) return undefined;
  const lengthByte = bytes[1]!;
  const inner = lengthByte < 0x80 ? 2 : lengthByte === 0x80 ? 2 : 2 + (lengthByte & 0x7f);
  switch (bytes[inner]) {
    case 0x30:
      return 'der';
    case 0x06:
      return 'pkcs7';
    case 0x02:
      return 'pkcs12';
    default:
      return undefined;
  }
}

function pkcs12Refused(path: string): CachetError {
  return new CachetError('ERR_USAGE', `${path} is a PKCS#12 file: give certificates only (PEM, DER or PKCS#7)`, { details: { file: path } });
}

/**
 * Every certificate (and, for PKCS#12, every credential) in a file, whatever its format.
 * @param publicOnly refuse PKCS#12 (which would ask for a password) and read certificates only
 */
export async function readCertificateFile(path: string, passwordFile: string | undefined, context: CliContext, publicOnly = false): Promise<CertificateFile> {
  const pkcs12 = (bytes: Buffer) => {
    if (publicOnly) throw pkcs12Refused(path);
    return readPkcs12File(path, bytes, passwordFile, context);
  };
  if (publicOnly && PKCS12_EXTENSIONS.has(extname(path).toLowerCase())) throw pkcs12Refused(path);
  const bytes = await readFileBytes(path);
  if (bytes.length > MAX_CERTIFICATE_FILE) throw new CachetError('ERR_LIMIT_EXCEEDED', `${path} is too large to be a certificate file`);
  if (PKCS12_EXTENSIONS.has(extname(path).toLowerCase())) return pkcs12(bytes);
  // Anywhere in the file: `openssl ca` writes a text dump of the certificate before its PEM block.
  if (bytes.includes('-----BEGIN')) {
    const text = bytes.toString('latin1');
    // A PKCS#12 file armoured as PEM (some portals ship it so); readPfx takes the armour off.
    if (/-----BEGIN (PKCS12|PKCS #12|PFX)-----/.test(text)) return pkcs12(bytes);
    const certificates = pemBlocks(text, /^(X509 |TRUSTED )?CERTIFICATE$/);
    if (certificates.length > 0) return { kind: 'pem', certificates, credentials: [] };
    if (/-----BEGIN (PKCS7|CMS|PKCS #7 SIGNED DATA)-----/.test(text)) return { kind: 'pkcs7', certificates: await certsOnly(path, bytes), credentials: [] };
    throw new CachetError('ERR_CERT_NOT_FOUND', `${path} holds no CERTIFICATE or PKCS7 block`, { details: { file: path } });
  }
  switch (sniffDerFormat(bytes)) {
    case 'der':
      if (isCertificate(bytes)) return { kind: 'der', certificates: [bytes], credentials: [] };
      throw new CachetError('ERR_CERT_MALFORMED', `${path} is a damaged or truncated certificate (DER)`, { details: { file: path } });
    case 'pkcs7':
      return { kind: 'pkcs7', certificates: await certsOnly(path, bytes), credentials: [] };
    case 'pkcs12':
      return pkcs12(bytes);
    default:
  }
  // Not DER: base64 without armour, of PKCS#7 (cmsInput reads it) or else of PKCS#12 (readPfx does).
  try {
    return { kind: 'pkcs7', certificates: await certsOnly(path, bytes), credentials: [] };
  } catch {
    // neither: PKCS#12 is the last format people hand around
  }
  if (publicOnly) throw new CachetError('ERR_CERT_MALFORMED', `${path} holds no certificate (PEM, DER or PKCS#7)`, { details: { file: path } });
  return readPkcs12File(path, bytes, passwordFile, context);
}

/** The certificates of `--certfile` files (PEM bundles, DER, PKCS#7), as openssl's -certfile. */
export async function readCertfiles(paths: readonly string[], context: CliContext): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const path of paths) out.push(...(await readCertificateFile(path, undefined, context, true)).certificates);
  return out;
}

async function certsOnly(path: string, bytes: Buffer): Promise<Uint8Array[]> {
  let certificates: Uint8Array[];
  try {
    certificates = await readCertsOnly(bytes);
  } catch (error) {
    if (isCachetError(error, 'ERR_LIMIT_EXCEEDED')) throw new CachetError('ERR_LIMIT_EXCEEDED', `${path}: ${error.message}`, { cause: error, details: { file: path } });
    throw new CachetError('ERR_CERT_MALFORMED', `${path} is not a readable PKCS#7 certificate file`, { cause: error, details: { file: path } });
  }
  if (certificates.length === 0) throw new CachetError('ERR_CERT_NOT_FOUND', `${path} holds no certificate`, { details: { file: path } });
  return certificates;
}
