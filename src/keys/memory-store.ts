/**
 * The "memory" adapter of the credential store: credentials live only in this process, keys as
 * KeyObjects, nothing is written anywhere. For tests, demos and library users who keep keys
 * elsewhere; the same rules as the vault (one active credential per role, replacing the active
 * signing credential needs `replaceActive`, older encryption credentials stay to open old mail).
 */
import { createHash, createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { CachetError } from '../engine/errors.js';
import { certificateEmails, certificateSubject } from '../engine/cms/cert-id.js';
import type { PrivateKeyHandle } from '../engine/keys.js';
import { softwareKey } from '../engine/software-key.js';
import type { CredentialRole, CredentialStore, NewCredential, StoredCredential } from './credential-store.js';

interface Entry {
  stored: StoredCredential;
  key: KeyObject;
}

export function createMemoryCredentialStore(options: { now?: () => Date } = {}): CredentialStore {
  const clock = options.now ?? (() => new Date());
  let entries: Entry[] = [];

  function find(id: string): Entry {
    const entry = entries.find((e) => e.stored.id === id);
    if (!entry) throw new CachetError('ERR_CERT_NOT_FOUND', `no credential ${id} in the store`, { details: { id } });
    return entry;
  }
  const copy = (stored: StoredCredential): StoredCredential => ({ ...stored, email: [...stored.email], chain: [...stored.chain] });

  return {
    async list() {
      return entries.map((e) => copy(e.stored));
    },
    async active(role: CredentialRole) {
      const entry = entries.find((e) => e.stored.role === role && e.stored.active);
      return entry ? copy(entry.stored) : undefined;
    },
    async add(credential: NewCredential, addOptions = {}) {
      let key: KeyObject;
      let cert: X509Certificate;
      try {
        key = createPrivateKey({ key: Buffer.from(credential.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
        cert = new X509Certificate(Buffer.from(credential.certificate));
      } catch (error) {
        throw new CachetError('ERR_CERT_MALFORMED', 'the certificate or its private key cannot be read', { cause: error });
      }
      const spki = (k: KeyObject) => k.export({ format: 'der', type: 'spki' });
      if (!spki(createPublicKey(key)).equals(spki(cert.publicKey))) throw new CachetError('ERR_KEY_MISMATCH', 'the private key does not belong to the certificate');
      const id = createHash('sha256').update(credential.certificate).digest('hex');
      const existing = entries.find((e) => e.stored.id === id);
      if (existing && !addOptions.replaceActive) {
        throw new CachetError('ERR_CERT_EXISTS', `this certificate is already in the store as a ${existing.stored.role} credential (${id.slice(0, 16)})`, { details: { id, role: existing.stored.role } });
      }
      const current = entries.find((e) => e.stored.role === credential.role && e.stored.active && e.stored.id !== id);
      if (current && credential.role === 'signing' && !addOptions.replaceActive) {
        throw new CachetError('ERR_CERT_EXISTS', `a signing certificate is already active (${current.stored.subject}, ${current.stored.id.slice(0, 16)}); replacing it needs confirmation (--force)`, {
          details: { id: current.stored.id, role: 'signing' },
        });
      }
      const stored: StoredCredential = {
        id,
        role: credential.role,
        active: true,
        certificate: new Uint8Array(credential.certificate),
        chain: credential.chain.map((c) => new Uint8Array(c)),
        subject: certificateSubject(credential.certificate),
        email: certificateEmails(credential.certificate),
        notAfter: new Date(cert.validTo).toISOString(),
        addedAt: clock().toISOString(),
        exportable: credential.exportable ?? true,
        ...(credential.friendlyName !== undefined ? { friendlyName: credential.friendlyName } : {}),
      };
      // Older credentials of the role stay, inactive: an old encryption key still opens old mail.
      entries = [
        ...entries.filter((e) => e.stored.id !== id).map((e) => (e.stored.role === credential.role ? { ...e, stored: { ...e.stored, active: false } } : e)),
        { stored, key },
      ];
      return copy(stored);
    },
    async remove(id) {
      const entry = find(id);
      entries = entries.filter((e) => e !== entry);
      if (entry.stored.active) {
        // The newest remaining credential of the role takes over.
        const successor = entries.filter((e) => e.stored.role === entry.stored.role).sort((a, b) => b.stored.addedAt.localeCompare(a.stored.addedAt))[0];
        if (successor) successor.stored = { ...successor.stored, active: true };
      }
    },
    async privateKey(id): Promise<PrivateKeyHandle> {
      return softwareKey(find(id).key);
    },
    async exportPrivateKey(id) {
      const entry = find(id);
      if (!entry.stored.exportable) throw new CachetError('ERR_POLICY_FORBIDS', `the private key of ${entry.stored.subject} is marked not exportable`, { details: { id } });
      return new Uint8Array(entry.key.export({ format: 'der', type: 'pkcs8' }));
    },
  };
}
