/**
 * Which of the user's credentials plays a role: the one their settings name, else the store's
 * active one, preferring one that names the sender when a store holds several people's keys.
 */
import { CachetError } from '../errors.js';
import type { Signer } from '../engine/keys.js';
import { servesUse, type CredentialStore, type StoredCredential } from '../adapters/keys/credential-store.js';
import { sourceEmptyError, type CertificateSource } from '../adapters/keys/key-source.js';
import type { EffectivePolicy } from '../adapters/policy/policy.js';

/**
 * The credential for a role: the one the user chose in their settings (signingCertificate /
 * encryptionCertificate, by SHA-256 fingerprint); else the active one when it names the sender; else
 * one that names the sender (a token or vault holding several people's keys); else the active one.
 */
export async function chosenCredential(store: CredentialStore, policy: EffectivePolicy, role: 'signing' | 'encryption', sender?: string): Promise<StoredCredential | undefined> {
  const chosen = policy.get(role === 'signing' ? 'signingCertificate' : 'encryptionCertificate') as string | null;
  if (!chosen) {
    const active = await store.active(role);
    if (!sender) return active;
    const namesSender = (c: StoredCredential) => c.email.some((e) => e.toLowerCase() === sender.toLowerCase());
    if (active && namesSender(active)) return active;
    return (await store.list()).find((c) => servesUse(c, role) && namesSender(c)) ?? active;
  }
  const id = chosen.toLowerCase().replace(/:/g, '');
  const credential = (await store.list()).find((c) => c.id === id && servesUse(c, role));
  if (!credential) throw new CachetError('ERR_CERT_NOT_FOUND', `your ${role} certificate setting names ${id.slice(0, 16)}…, which is not in your vault; change the setting or import it`);
  return credential;
}

/**
 * The signer for a message: the chosen signing credential with its key handle, announcing the chosen
 * encryption certificate. When there is none, says what to do for the certificate source in use.
 */
export async function signerFrom(store: CredentialStore, policy: EffectivePolicy, source: CertificateSource | undefined, sender?: string): Promise<Signer> {
  const active = await chosenCredential(store, policy, 'signing', sender);
  if (!active) {
    if (source && source !== 'email' && (await store.list()).length === 0) throw sourceEmptyError(source);
    const where = source === 'derivedCredentials' ? 'your token holds none' : source === 'sharedVault' ? 'the shared vault holds none for you' : 'import one (cachet import-from-mail or cachet cert import)';
    throw new CachetError('ERR_KEY_NOT_FOUND', `you have no signing certificate yet: ${where}${sender ? ', or send with --no-sign' : ''}`);
  }
  const encryption = await chosenCredential(store, policy, 'encryption', sender);
  // Announce only what our encryption key can undo, so correspondents do not encrypt to us with
  // RSA-OAEP/SHA-256 that (say) a smart card then cannot decrypt.
  const encryptionKey = encryption ? await store.privateKey(encryption.id) : undefined;
  return {
    certificate: active.certificate,
    chain: active.chain,
    key: await store.privateKey(active.id),
    ...(encryption ? { encryptionCertificate: encryption.certificate } : {}),
    ...(encryptionKey?.decryptsOaepSha256 === false ? { announceRsaOaep: false } : {}),
  };
}
