/**
 * Derived credentials as a {@link CredentialStore}: the certificates on a PKCS#11 token, each with the
 * role its key usage gives it (a dual-purpose certificate serves both roles: the token holds one key
 * for it), and private keys that are handles on the token. Keys on a token are issued onto it by the
 * identity provider, so adding, removing and exporting are refused.
 */
import { X509Certificate } from 'node:crypto';
import { CachetError } from '../engine/errors.js';
import { certificateEmails, certificateSubject } from '../engine/cms/cert-id.js';
import { certificateFingerprint } from '../engine/pki/certificate-info.js';
import { certificateRole } from '../engine/pki/certificate-role.js';
import type { CredentialRole, CredentialStore, StoredCredential } from './credential-store.js';
import type { Pkcs11Token, TokenCredential } from './pkcs11/token.js';

export interface TokenEntry {
  stored: StoredCredential;
  /** The object on the token (CKA_ID, label). */
  token: TokenCredential;
}

/** One entry per certificate and role; the first certificate of a role on the token is the active one. */
export function tokenEntries(token: Pkcs11Token): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const seen = new Set<CredentialRole>();
  for (const credential of token.credentials()) {
    const certificate = new Uint8Array(credential.certificate);
    const { role } = certificateRole(certificate);
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
      return tokenEntries(token).find((e) => e.stored.role === role && e.stored.active)?.stored;
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
