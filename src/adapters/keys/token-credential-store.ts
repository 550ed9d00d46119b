/**
 * Derived credentials as a {@link CredentialStore}: the certificates on a PKCS#11 token, each with the
 * role its key usage gives it (a dual-purpose certificate serves both roles: the token holds one key
 * for it), and private keys that are handles on the token. Keys on a token are issued onto it by the
 * identity provider, so adding, removing and exporting are refused.
 *
 * Not every key pair on a token is the user's mail key: a CA's keys may live on the same token
 * (`cachet ca init --token-label`), and a token may carry TLS or device certificates. Only
 * certificates with an S/MIME role, that certify nothing, are credentials.
 */
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, X509Certificate as PeculiarCertificate } from '@peculiar/x509';
import { CachetError } from '../../errors.js';
import { certificateEmails, certificateSubject } from '../../engine/cms/cert-id.js';
import { certificateFingerprint } from '../../engine/pki/certificate-info.js';
import { certificateRole } from '../../engine/pki/certificate-role.js';
import { servesUse, type CredentialRole, type CredentialStore, type StoredCredential } from './credential-store.js';
import type { Pkcs11Token, TokenCredential } from './pkcs11/token.js';

export interface TokenEntry {
  stored: StoredCredential;
  /** The object on the token (CKA_ID, label). */
  token: TokenCredential;
}

/**
 * Whether the certificate is a CA's: basicConstraints cA, or a key usage that signs certificates or
 * CRLs — RFC 5280 §4.2.1.3: "If the keyCertSign bit is asserted, then the cA bit in the basic
 * constraints extension MUST also be asserted"; a certificate that breaks that rule is still no
 * user's mail certificate. (certificateRole sees the first case only.)
 */
function certifiesOthers(certificate: Uint8Array): boolean {
  const cert = new PeculiarCertificate(Buffer.from(certificate));
  if (cert.getExtension(BasicConstraintsExtension)?.ca) return true;
  const usages = cert.getExtension(KeyUsagesExtension)?.usages ?? 0;
  return (usages & (KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)) !== 0;
}

/**
 * One entry per S/MIME certificate and role; the first certificate of a role on the token is the
 * active one. CA certificates and certificates without an S/MIME use (role "none") are left out.
 */
export function tokenEntries(token: Pkcs11Token): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const seen = new Set<CredentialRole>();
  for (const credential of token.credentials()) {
    const certificate = new Uint8Array(credential.certificate);
    let role: ReturnType<typeof certificateRole>['role'];
    try {
      if (certifiesOthers(certificate)) continue;
      role = certificateRole(certificate).role;
    } catch {
      // A certificate object Cachet cannot read is no credential; the readable ones stay usable.
      continue;
    }
    const roles: CredentialRole[] = role === 'dual' ? ['signing', 'encryption'] : role === 'none' ? [] : [role];
    const notAfter = new Date(new X509Certificate(credential.certificate).validTo).toISOString();
    for (const r of roles) {
      entries.push({
        token: credential,
        stored: {
          id: certificateFingerprint(certificate),
          role: r,
          active: !seen.has(r),
          certificate,
          chain: [],
          subject: certificateSubject(certificate),
          email: certificateEmails(certificate),
          notAfter,
          // A token does not say when its certificate was written; the certificate's own start will do.
          addedAt: new Date(new X509Certificate(credential.certificate).validFrom).toISOString(),
          exportable: false,
          ...(credential.label ? { friendlyName: credential.label } : {}),
        },
      });
      seen.add(r);
    }
  }
  return entries;
}

function issuedOntoToken(): CachetError {
  return new CachetError('ERR_POLICY_FORBIDS', 'your credentials are derived credentials on a token: they are issued onto the token by your identity provider, not added or removed by the mail client');
}

export function tokenCredentialStore(token: Pkcs11Token): CredentialStore & { close(): Promise<void> } {
  const list = async () => tokenEntries(token).map((e) => e.stored);
  return {
    list,
    async active(role) {
      return tokenEntries(token).find((e) => servesUse(e.stored, role) && e.stored.active)?.stored;
    },
    async privateKey(id) {
      const entry = tokenEntries(token).find((e) => e.stored.id === id);
      if (!entry) throw new CachetError('ERR_CERT_NOT_FOUND', `the token holds no credential ${id}`, { details: { id } });
      return token.privateKey(entry.token);
    },
    async add() {
      throw issuedOntoToken();
    },
    async remove() {
      throw issuedOntoToken();
    },
    async exportPrivateKey() {
      throw new CachetError('ERR_POLICY_FORBIDS', 'a key on a token never leaves the token; it cannot be exported');
    },
    async close() {
      token.close();
    },
  };
}
