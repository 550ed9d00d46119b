/**
 * The "memory" adapter of the credential store: credentials live only in this process, keys as
 * KeyObjects, nothing is written anywhere. For tests, demos and library users who keep keys
 * elsewhere; the same rules as the vault (one active credential per role, replacing the active
 * signing credential needs `replaceActive`, older encryption credentials stay to open old mail).
 */
import { createHash, createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { CachetError } from '../../errors.js';
import { certificateEmails, certificateSubject } from '../../engine/cms/cert-id.js';
import type { PrivateKeyHandle } from '../../engine/keys.js';
import { softwareKey } from '../../engine/software-key.js';
import { checkAddition, othersAfterAddition, othersAfterRemoval, servesUse, type CredentialStore, type CredentialUse, type NewCredential, type StoredCredential } from './credential-store.js';

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
    async active(role: CredentialUse) {
      const entry = entries.find((e) => servesUse(e.stored, role) && e.stored.active);
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
      checkAddition(entries.map((e) => e.stored), id, credential.role, addOptions.replaceActive === true, 'store');
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
      const others = entries.filter((e) => e.stored.id !== id);
      const updated = othersAfterAddition(others.map((e) => e.stored), credential.role);
      entries = [...others.map((e, index) => ({ ...e, stored: updated[index]! })), { stored, key }];
      return copy(stored);
    },
    async remove(id) {
      const entry = find(id);
      const rest = entries.filter((e) => e !== entry);
      const updated = othersAfterRemoval(rest.map((e) => e.stored), entry.stored);
      entries = rest.map((e, index) => ({ ...e, stored: updated[index]! }));
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
