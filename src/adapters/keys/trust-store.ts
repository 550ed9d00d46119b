/**
 * The user's trust store: root and intermediate CA certificates the admin or the user chose to trust,
 * one PEM file per certificate in $CACHET_HOME/trust/, named by its SHA-256 fingerprint, so that adding
 * the same certificate twice is harmless and removing one names exactly one file. Files an admin drops
 * there under other names (ca.pem, *.der, *.crt, *.cer) count as well; this is what
 * `openCertificateValidator` in client/certificate-validator.ts reads for validation.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CachetError } from '../../errors.js';
import { certificateFingerprint, certificateInfo, type CertificateInfo } from '../../engine/pki/certificate-info.js';

/** Where Debian and Ubuntu keep the system's trust anchors as one PEM bundle. */
export const SYSTEM_TRUST_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

const ANCHOR_FILE = /\.(pem|der|crt|cer)$/i;

export interface TrustAnchorEntry {
  /** SHA-256 fingerprint, lower-case hex. */
  id: string;
  /** The file that holds it (in the store, or the system bundle). */
  file: string;
  /** The user's store, the organisation's (delivered by the admin), or the system bundle. */
  source: 'store' | 'organisation' | 'system';
  certificate: Uint8Array;
  info: CertificateInfo;
}

export function trustDirectory(home: string): string {
  return join(home, 'trust');
}

function pemCertificates(text: string): Buffer[] {
  return [...text.matchAll(/-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

function toPem(der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** The certificates in one anchor file (PEM, possibly several, or DER). */
export function anchorFileCertificates(bytes: Buffer): Buffer[] {
  if (bytes.subarray(0, 200).toString('latin1').includes('-----BEGIN')) return pemCertificates(bytes.toString('latin1'));
  return [bytes];
}

function entry(der: Uint8Array, file: string, source: TrustAnchorEntry['source']): TrustAnchorEntry | undefined {
  try {
    return { id: certificateFingerprint(der), file, source, certificate: der, info: certificateInfo(der) };
  } catch {
    // A damaged file in the store must not hide the others; validation skips it too.
    return undefined;
  }
}

async function directoryAnchors(dir: string, source: TrustAnchorEntry['source']): Promise<TrustAnchorEntry[]> {
  const out: TrustAnchorEntry[] = [];
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => ANCHOR_FILE.test(n)).sort();
  } catch {
    // no store yet
  }
  for (const name of names) {
    const file = join(dir, name);
    for (const der of anchorFileCertificates(await readFile(file))) {
      const e = entry(der, file, source);
      if (e) out.push(e);
    }
  }
  return out;
}

/**
 * Every anchor in the user's store; with `organisationHome` the organisation's store too (read-only
 * here: the admin delivers it), and with `system` the system bundle's.
 */
export async function listTrustAnchors(home: string, options: { system?: boolean; organisationHome?: string | undefined } = {}): Promise<TrustAnchorEntry[]> {
  const out = await directoryAnchors(trustDirectory(home), 'store');
  if (options.organisationHome) out.push(...(await directoryAnchors(trustDirectory(options.organisationHome), 'organisation')));
  if (options.system) out.push(...(await systemTrustAnchors()).map((der) => entry(der, SYSTEM_TRUST_BUNDLE, 'system')).filter((e) => e !== undefined));
  return out;
}

/** The system's anchors (none where the bundle does not exist). */
export async function systemTrustAnchors(bundle: string = SYSTEM_TRUST_BUNDLE): Promise<Buffer[]> {
  try {
    return pemCertificates(await readFile(bundle, 'latin1'));
  } catch {
    return [];
  }
}

/**
 * Adds a CA certificate to the store.
 * @throws CachetError ERR_TRUST_STORE when the certificate is not a CA certificate and `force` is unset
 *   (trusting an end entity directly bypasses every check its issuer would make).
 */
export async function addTrustAnchor(home: string, der: Uint8Array, options: { force?: boolean } = {}): Promise<{ entry: TrustAnchorEntry; added: boolean }> {
  const info = certificateInfo(der);
  if (!info.isCa && !options.force) {
    throw new CachetError('ERR_TRUST_STORE', `${info.subject} is not a CA certificate; trusting it directly would bypass its issuer's checks (add --force if you really mean it)`, {
      details: { fingerprint: info.fingerprintSha256 },
    });
  }
  const dir = trustDirectory(home);
  const file = join(dir, `${info.fingerprintSha256}.pem`);
  const existing = (await listTrustAnchors(home)).find((e) => e.id === info.fingerprintSha256);
  if (existing) return { entry: existing, added: false };
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temporary = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(toPem(der));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    throw new CachetError('ERR_TRUST_STORE', `cannot write to the trust store ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  return { entry: { id: info.fingerprintSha256, file, source: 'store', certificate: der, info }, added: true };
}

/**
 * Removes the anchor whose fingerprint is `id` (or starts with it: at least 8 hex digits), or whose
 * certificate equals `der`. A bundle file holding several anchors is not split: it is refused.
 * @throws CachetError ERR_CERT_NOT_FOUND, or ERR_USAGE when a prefix is ambiguous.
 */
export async function removeTrustAnchor(home: string, selector: { id: string } | { certificate: Uint8Array }): Promise<TrustAnchorEntry> {
  const anchors = await listTrustAnchors(home);
  const wanted = 'id' in selector ? selector.id.toLowerCase().replace(/[:\s]/g, '') : certificateFingerprint(selector.certificate);
  if ('id' in selector && !/^[0-9a-f]{8,64}$/.test(wanted)) throw new CachetError('ERR_USAGE', `"${selector.id}" is not a fingerprint (8 to 64 hex digits)`);
  const matches = anchors.filter((a) => a.id.startsWith(wanted));
  if (matches.length === 0) throw new CachetError('ERR_CERT_NOT_FOUND', `no trusted certificate ${wanted} in the trust store`, { details: { fingerprint: wanted } });
  if (new Set(matches.map((m) => m.id)).size > 1) throw new CachetError('ERR_USAGE', `"${wanted}" matches several trusted certificates; give more of the fingerprint`);
  const match = matches[0]!;
  if (anchors.filter((a) => a.file === match.file).length > 1) {
    throw new CachetError('ERR_TRUST_STORE', `${match.file} holds several certificates; edit or delete that file yourself`, { details: { file: match.file } });
  }
  for (const m of matches) await rm(m.file, { force: true });
  return match;
}
