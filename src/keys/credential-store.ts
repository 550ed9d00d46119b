/**
 * The user's own credentials (certificate + private key, with a role), as the use cases see them.
 * One interface for every source: the encrypted vault file, the vault service, a PKCS#11 token.
 */
import type { PrivateKeyHandle } from '../engine/keys.js';

/** The role a credential plays for its owner. A dual-purpose certificate takes the one the user chose. */
export type CredentialRole = 'signing' | 'encryption';

export interface StoredCredential {
  /** SHA-256 fingerprint of the certificate, lower-case hex: the credential's identity. */
  id: string;
  role: CredentialRole;
  /** The current credential for its role (older encryption credentials stay, inactive, to read old mail). */
  active: boolean;
  certificate: Uint8Array;
  chain: Uint8Array[];
  subject: string;
  email: string[];
  notAfter: string;
  addedAt: string;
  /** Whether the private key may be exported (issuing template's "exportable key"). */
  exportable: boolean;
  friendlyName?: string;
}

export interface NewCredential {
  certificate: Uint8Array;
  chain: Uint8Array[];
  /** PKCS#8 DER of the private key; kept encrypted at rest by every implementation. */
  privateKeyPkcs8: Uint8Array;
  role: CredentialRole;
  exportable?: boolean;
  friendlyName?: string;
}

export interface CredentialStore {
  list(): Promise<StoredCredential[]>;
  /** Adds a credential; it becomes the active one for its role. Throws ERR_CERT_EXISTS when another
   *  credential is active for the role and `replaceActive` is not set (signing), so the caller can ask. */
  add(credential: NewCredential, options?: { replaceActive?: boolean }): Promise<StoredCredential>;
  remove(id: string): Promise<void>;
  active(role: CredentialRole): Promise<StoredCredential | undefined>;
  /** A handle that signs or decrypts with the credential's key; the key itself stays inside the store. */
  privateKey(id: string): Promise<PrivateKeyHandle>;
  /** PKCS#8 DER, only for exportable credentials. */
  exportPrivateKey(id: string): Promise<Uint8Array>;
}
