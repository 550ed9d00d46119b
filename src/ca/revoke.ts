/**
 * Revocation: marks an issued certificate revoked in the index and publishes a new CRL at once, so
 * the CRL and the OCSP responder (which reads the index) agree from that moment on.
 */
import { CachetError } from '../engine/errors.js';
import { normaliseSerial, REASON_CODES, type CaKeyPair, type CaStore, type IssuedEntry, type RevocationReason } from './ca-store.js';
import { publishCrl } from './crl.js';

export function parseReason(value: string): RevocationReason {
  if (value in REASON_CODES) return value as RevocationReason;
  throw new CachetError('ERR_USAGE', `--reason must be one of ${Object.keys(REASON_CODES).join(', ')} (not "${value}")`);
}

/**
 * @throws CachetError ERR_CERT_NOT_FOUND (no such serial), ERR_CERT_REVOKED (already revoked).
 */
export async function revokeCertificate(store: CaStore, issuer: CaKeyPair, serial: string, reason: RevocationReason, now: Date = new Date()): Promise<IssuedEntry> {
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
  await publishCrl(store, issuer, now);
  return entry;
}
