/**
 * The CA's CRL (RFC 5280 §5): every revoked certificate still within its validity, with reason
 * codes, an authorityKeyIdentifier and a monotonic cRLNumber, signed by the issuing key. Rewritten
 * on every revocation, so `cachet ca ocsp` and a file copy always serve the current one.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLNumber } from '@peculiar/asn1-x509';
import { AuthorityKeyIdentifierExtension, Extension, SubjectKeyIdentifierExtension, X509Certificate, X509CrlGenerator, type X509CrlEntryParams } from '@peculiar/x509';
import { bufferOf, REASON_CODES, type CaKeyPair, type CaStore } from './ca-store.js';
import { x509Signing } from './ca-signer.js';

const crypto = webcrypto as unknown as Crypto;
const ID_CE_CRL_NUMBER = '2.5.29.20';
/** How long a CRL stays current; clients fetch a new one after nextUpdate. */
export const CRL_VALIDITY_DAYS = 7;

/** Makes, stores and returns a fresh CRL (DER). */
export async function publishCrl(store: CaStore, issuer: CaKeyPair, now: Date = new Date()): Promise<Uint8Array> {
  return store.locked(() => signCrl(store, issuer, now));
}

async function signCrl(store: CaStore, issuer: CaKeyPair, now: Date): Promise<Uint8Array> {
  const settings = await store.settings();
  const crlNumber = settings.crlNumber + 1;
  const entries: X509CrlEntryParams[] = (await store.index())
    .filter((e) => e.status === 'revoked' && new Date(e.notAfter) > now)
    .map((e) => ({
      serialNumber: e.serial,
      revocationDate: new Date(e.revokedAt ?? now),
      ...(e.reason && e.reason !== 'unspecified' ? { reason: REASON_CODES[e.reason] } : {}),
    }));
  const der = await buildCrl(issuer, entries, crlNumber, now, CRL_VALIDITY_DAYS);
  await store.saveCrl(der);
  await store.saveSettings({ ...settings, crlNumber });
  return der;
}

/**
 * How long the root's CRL stays current. CA/B BR §4.9.7 allows up to 12 months, but a validator
 * caches a CRL until its nextUpdate (src/engine/pki/crl.ts), so a year-long ARL would hide a revoked
 * intermediate from a running client for a year. Cachet's root key is as reachable as the issuing
 * key (same vault or token), so the root's CRL is kept as fresh as the issuing CA's: `cachet ca ocsp`
 * renews it before it expires.
 */
export const ROOT_CRL_VALIDITY_DAYS = CRL_VALIDITY_DAYS;

/**
 * The root's CRL (an ARL: it lists CA certificates only), which the issuing intermediate's CRL
 * distribution point names. It lists the intermediate once `cachet ca revoke --intermediate` has
 * revoked it, and is empty otherwise, so that a validator checking every certificate of the path
 * finds a current answer for the intermediate too.
 */
export async function publishRootCrl(store: CaStore, root: CaKeyPair, now: Date = new Date()): Promise<Uint8Array> {
  return store.locked(async () => {
    const settings = await store.settings();
    const crlNumber = (settings.rootCrlNumber ?? 0) + 1;
    const entries: X509CrlEntryParams[] = [];
    const revoked = settings.issuingRevocation;
    if (settings.intermediate && revoked) {
      const issuing = new X509Certificate(bufferOf(await store.caCertificate('issuing')));
      entries.push({
        serialNumber: issuing.serialNumber,
        revocationDate: new Date(revoked.revokedAt),
        ...(revoked.reason !== 'unspecified' ? { reason: REASON_CODES[revoked.reason] } : {}),
      });
    }
    const der = await buildCrl(root, entries, crlNumber, now, ROOT_CRL_VALIDITY_DAYS);
    await store.saveCrl(der, 'root');
    await store.saveSettings({ ...settings, rootCrlNumber: crlNumber });
    return der;
  });
}

async function buildCrl(issuer: CaKeyPair, entries: X509CrlEntryParams[], crlNumber: number, now: Date, validityDays: number): Promise<Uint8Array> {
  const signing = x509Signing(issuer.key);
  const issuerCertificate = new X509Certificate(bufferOf(issuer.certificate));
  const keyId = issuerCertificate.getExtension(SubjectKeyIdentifierExtension)?.keyId;
  const extensions: Extension[] = [
    // RFC 5280 §5.2.1 and §5.2.3: conforming CRL issuers MUST include both.
    keyId ? new AuthorityKeyIdentifierExtension(keyId, false) : await AuthorityKeyIdentifierExtension.create(issuerCertificate.publicKey, false, crypto),
    // @peculiar/x509 has no cRLNumber class; the ASN.1 type comes from @peculiar/asn1-x509.
    new Extension(ID_CE_CRL_NUMBER, false, AsnConvert.serialize(new CRLNumber(crlNumber))),
  ];
  const crl = await X509CrlGenerator.create({
    issuer: issuerCertificate.subjectName,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + validityDays * 86_400_000),
    entries,
    extensions,
    signingKey: signing.signingKey,
    signingAlgorithm: signing.signingAlgorithm,
  }, signing.crypto);
  return new Uint8Array(crl.rawData);
}
