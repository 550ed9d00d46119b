/**
 * Revocation: marks an issued certificate revoked in the index and publishes a new CRL at once, so
 * the CRL and the OCSP responder (which reads the index) agree from that moment on. The issuing
 * intermediate is revoked by the root: it goes into the root's CRL (the ARL its distribution point
 * names) and the responder answers "revoked" for it, signed by the root. The root itself cannot be
 * revoked: no one above it signs a CRL; it is retired by taking it out of the trust stores.
 */
import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import { CachetError } from '../../errors.js';
import { bufferOf, normaliseSerial, REASON_CODES, type CaKeyPair, type CaSettings, type CaStore, type IssuedEntry, type RevocationReason } from './ca-store.js';
import { publishCrl, publishRootCrl } from './crl.js';

export function parseReason(value: string): RevocationReason {
  if (value in REASON_CODES) return value as RevocationReason;
  throw new CachetError('ERR_USAGE', `--reason must be one of ${Object.keys(REASON_CODES).join(', ')} (not "${value}")`);
}

/** The serial of a CA certificate, normalised like the index's. */
export function certificateSerial(der: Uint8Array): string {
  return normaliseSerial(new X509Certificate(bufferOf(der)).serialNumber);
}

/** What a serial given to `cachet ca revoke` names: the root, the intermediate, or an issued certificate. */
export async function classifySerial(store: CaStore, serial: string): Promise<'root' | 'issuing' | 'issued'> {
  const wanted = normaliseSerial(serial);
  const settings = await store.settings();
  if (certificateSerial(await store.caCertificate('root')) === wanted) return 'root';
  if (settings.intermediate && certificateSerial(await store.caCertificate('issuing')) === wanted) return 'issuing';
  return 'issued';
}

/** The refusal for the root, which nothing above it can revoke. */
export function rootRevocationRefused(): CachetError {
  return new CachetError('ERR_POLICY_FORBIDS', 'the root CA certificate cannot be revoked: no CA above it signs a CRL that could list it. Retire it instead: remove it from every trust store ("cachet trust remove") and set up a new CA');
}

/**
 * @throws CachetError ERR_CERT_NOT_FOUND (no such serial), ERR_CERT_REVOKED (already revoked).
 */
export async function revokeCertificate(store: CaStore, issuer: CaKeyPair, serial: string, reason: RevocationReason, now: Date = new Date(), who = 'unknown'): Promise<IssuedEntry> {
  const wanted = normaliseSerial(serial);
  const entry = await store.locked(async () => {
    const entries = await store.index();
    const found = entries.find((e) => e.serial === wanted);
    if (!found) throw new CachetError('ERR_CERT_NOT_FOUND', `this CA issued no certificate with serial ${wanted}`, { details: { serial: wanted } });
    if (found.status === 'revoked') {
      throw new CachetError('ERR_CERT_REVOKED', `the certificate ${wanted} was already revoked on ${found.revokedAt ?? '?'}`, { details: { serial: wanted } });
    }
    found.status = 'revoked';
    found.revokedAt = now.toISOString();
    found.reason = reason;
    await store.saveIndex(entries);
    return found;
  });
  await store.audit.append({ who, action: 'revoke', serial: entry.serial, email: entry.email, details: { reason } });
  await publishCrl(store, issuer, now);
  return entry;
}

/**
 * Revokes the issuing intermediate with the root's key and publishes the root's CRL listing it.
 * Every certificate it issued then fails validation ("the CA certificate … was revoked"), and the
 * CA issues no more certificates.
 * @throws CachetError ERR_USAGE (no intermediate), ERR_CERT_REVOKED (already revoked).
 */
export async function revokeIntermediate(store: CaStore, root: CaKeyPair, reason: RevocationReason, now: Date = new Date(), who = 'unknown'): Promise<{ serial: string; settings: CaSettings }> {
  if (!(await store.settings()).intermediate) throw new CachetError('ERR_USAGE', 'this CA has no intermediate: its root issues the certificates, and a root cannot be revoked');
  const serial = certificateSerial(await store.caCertificate('issuing'));
  await store.locked(async () => {
    const settings = await store.settings();
    if (settings.issuingRevocation) {
      throw new CachetError('ERR_CERT_REVOKED', `the issuing CA ${serial} was already revoked on ${settings.issuingRevocation.revokedAt}`, { details: { serial } });
    }
    await store.saveSettings({ ...settings, issuingRevocation: { revokedAt: now.toISOString(), reason } });
  });
  await store.audit.append({ who, action: 'revoke', serial, details: { reason, intermediate: true } });
  await publishRootCrl(store, root, now);
  return { serial, settings: await store.settings() };
}
