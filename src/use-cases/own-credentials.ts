/**
 * The user's own credentials, managed: how close each is to expiry, exporting one as a backup, and
 * removing one — the rules the CLI (`cachet cert list|export|remove`) and the web client's
 * Certificates view share. Importing is import-from-mail.ts's importCredentialFile.
 */
import { CachetError } from '../errors.js';
import { writePfx } from '../engine/pkcs12/pfx-write.js';
import { servesUse, type CredentialStore, type StoredCredential } from '../adapters/keys/credential-store.js';

const DAY = 86_400_000;

export interface ExpiryState {
  /** Whole days left (negative once expired). */
  daysLeft: number;
  /** `expiring`: within the policy's renewDaysBefore, time to renew. */
  state: 'valid' | 'expiring' | 'expired';
}

/** How near a credential is to its end, against the days-before the policy renews at (renewDaysBefore). */
export function expiryState(notAfter: string, warnDaysBefore: number, now: Date = new Date()): ExpiryState {
  const left = new Date(notAfter).getTime() - now.getTime();
  const daysLeft = Math.floor(left / DAY);
  return { daysLeft, state: left <= 0 ? 'expired' : daysLeft <= warnDaysBefore ? 'expiring' : 'valid' };
}

/** A backup password shorter than this protects a private key too little. */
export const MIN_EXPORT_PASSWORD_LENGTH = 8;

/**
 * A credential as a PKCS#12 file: key, certificate and chain, under a password the user chose
 * (OpenSSL 3's modern algorithms; `legacy`: 3DES/SHA-1 for old clients).
 * @throws CachetError ERR_USAGE for a password under MIN_EXPORT_PASSWORD_LENGTH; the store's
 *         ERR_POLICY_FORBIDS for a credential not marked exportable
 */
export async function exportCredential(store: CredentialStore, credential: StoredCredential, password: string, legacy = false): Promise<Uint8Array> {
  if (password.length < MIN_EXPORT_PASSWORD_LENGTH) throw new CachetError('ERR_USAGE', `the backup's password needs at least ${MIN_EXPORT_PASSWORD_LENGTH} characters: it is all that protects your private key in the file`);
  const privateKeyPkcs8 = await store.exportPrivateKey(credential.id);
  return writePfx({
    privateKeyPkcs8,
    certificate: credential.certificate,
    chain: credential.chain,
    password,
    ...(credential.friendlyName !== undefined ? { friendlyName: credential.friendlyName } : {}),
    legacy,
  });
}

/** Why removing a credential needs the user's yes, or null: mail encrypted to its key would become unreadable. */
export function removalWarning(credential: StoredCredential): string | null {
  if (!servesUse(credential, 'encryption')) return null;
  return `removing the encryption key of ${credential.email[0] ?? credential.subject} makes the mail encrypted to it unreadable`;
}

/**
 * Removes a credential; one whose removal has a warning only when `confirmed`.
 * @throws CachetError ERR_POLICY_FORBIDS (details.id, details.warning) when a yes is needed and not given
 */
export async function removeCredential(store: CredentialStore, credential: StoredCredential, confirmed: boolean): Promise<void> {
  const warning = removalWarning(credential);
  if (warning && !confirmed) throw new CachetError('ERR_POLICY_FORBIDS', `${warning}; confirm to remove it`, { details: { id: credential.id, warning } });
  await store.remove(credential.id);
}
