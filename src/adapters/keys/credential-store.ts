/**
 * The user's own credentials (certificate + private key, with a role), as the use cases see them.
 * One interface for every source: the encrypted vault file, the vault service, a PKCS#11 token.
 */
import { CachetError } from '../../errors.js';
import type { PrivateKeyHandle } from '../../engine/keys.js';

/**
 * The role a credential plays for its owner. A dual-purpose certificate takes the one the user chose:
 * signing, encryption, or both — as Thunderbird, Outlook and mutt use one such certificate for both.
 */
export type CredentialRole = 'signing' | 'encryption' | 'both';

/** What a credential is used for at a given moment: a 'both' credential serves either. */
export type CredentialUse = 'signing' | 'encryption';

export const CREDENTIAL_ROLES: readonly CredentialRole[] = ['signing', 'encryption', 'both'];

export function usesOf(role: CredentialRole): CredentialUse[] {
  return role === 'both' ? ['signing', 'encryption'] : [role];
}

/** Whether a credential of this role signs (use 'signing') or decrypts (use 'encryption'). */
export function servesUse(credential: { role: CredentialRole }, use: CredentialUse): boolean {
  return credential.role === use || credential.role === 'both';
}

/**
 * A role as the user types it (--role, a prompt's answer): "signing", "s", "encryption", "e",
 * "both", "b"; undefined for anything else.
 */
export function parseCredentialRole(text: string): CredentialRole | undefined {
  const answer = text.trim().toLowerCase();
  if (answer === 's' || answer === 'signing') return 'signing';
  if (answer === 'e' || answer === 'encryption') return 'encryption';
  if (answer === 'b' || answer === 'both') return 'both';
  return undefined;
}

/** The question for a dual-purpose certificate, the same on every terminal prompt. */
export const ROLE_QUESTION = 'Use it for [s]igning, [e]ncryption or [b]oth?';

/** The part of a stored credential the role rules look at. */
interface RoleState {
  id: string;
  role: CredentialRole;
  active: boolean;
  addedAt: string;
  subject: string;
}

/**
 * The rules every store applies before adding credential `id` with `role` (one active credential
 * per use; replacing the active signing credential needs confirmation, since mail signed from then on
 * carries the new one; an encryption credential simply takes over, the old key stays for old mail).
 * @throws CachetError ERR_CERT_EXISTS when the certificate is there already, or when a signing
 *   credential is active and `replaceActive` is not set (details.id names it, so the caller can ask).
 */
export function checkAddition(records: readonly RoleState[], id: string, role: CredentialRole, replaceActive: boolean, where: string): void {
  const existing = records.find((c) => c.id === id);
  if (existing && !replaceActive) {
    throw new CachetError('ERR_CERT_EXISTS', `this certificate is already in the ${where} as a ${existing.role} credential (${id.slice(0, 16)})`, { details: { id, role: existing.role } });
  }
  const current = records.find((c) => c.id !== id && c.active && servesUse(c, 'signing'));
  if (current && usesOf(role).includes('signing') && !replaceActive) {
    throw new CachetError('ERR_CERT_EXISTS', `a signing certificate is already active (${current.subject}, ${current.id.slice(0, 16)}); replacing it needs confirmation (--force)`, {
      details: { id: current.id, role: 'signing' },
    });
  }
}

/**
 * The other credentials once one with `role` became active: those it takes a use from are
 * deactivated — a 'both' credential that keeps its other use stays active for that use only. Older
 * credentials stay, inactive: an old encryption key still opens old mail.
 */
export function othersAfterAddition<T extends RoleState>(others: readonly T[], role: CredentialRole): T[] {
  const taken = usesOf(role);
  return others.map((c) => {
    if (!c.active || !usesOf(c.role).some((use) => taken.includes(use))) return c;
    const kept = usesOf(c.role).filter((use) => !taken.includes(use));
    return kept.length === 1 ? { ...c, role: kept[0]! } : { ...c, active: false };
  });
}

/** The remaining credentials once `removed` is gone: for each use it served, the newest one left takes over. */
export function othersAfterRemoval<T extends RoleState>(rest: readonly T[], removed: RoleState): T[] {
  const out = rest.map((c) => ({ ...c }));
  if (!removed.active) return out;
  for (const use of usesOf(removed.role)) {
    if (out.some((c) => c.active && servesUse(c, use))) continue;
    // A 'both' successor only when neither of its uses is served by another active credential.
    const free = (c: T): boolean => usesOf(c.role).every((u) => !out.some((o) => o !== c && o.active && servesUse(o, u)));
    const successor = out.filter((c) => servesUse(c, use) && free(c)).sort((a, b) => b.addedAt.localeCompare(a.addedAt))[0];
    if (successor) successor.active = true;
  }
  return out;
}

export interface StoredCredential {
  /** SHA-256 fingerprint of the certificate, lower-case hex: the credential's identity. */
  id: string;
  role: CredentialRole;
  /** The current credential for its role's uses (older encryption credentials stay, inactive, to read old mail). */
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

/**
 * Named secrets a vault keeps beside the credentials (an LDAP bind DN and password, the mail
 * passwords of an account, a renewal's waiting key): what the directory, the account and renewal
 * need of the vault. FileCredentialStore has it.
 */
export interface NamedSecrets {
  /** The secret of this name, or undefined. */
  secret(name: string): Promise<string | undefined>;
  /**
   * Stores (or, with undefined, forgets) named secrets, all in one atomic write like every change: a
   * login's DN and password are kept together or not at all.
   */
  setSecrets(values: Record<string, string | undefined>): Promise<void>;
}

export interface CredentialStore {
  list(): Promise<StoredCredential[]>;
  /** Adds a credential; it becomes the active one for its role. Throws ERR_CERT_EXISTS when another
   *  credential is active for the role and `replaceActive` is not set (signing), so the caller can ask. */
  add(credential: NewCredential, options?: { replaceActive?: boolean }): Promise<StoredCredential>;
  remove(id: string): Promise<void>;
  /** The active credential that serves `use` (one of role `use`, or of role 'both'). */
  active(use: CredentialUse): Promise<StoredCredential | undefined>;
  /** A handle that signs or decrypts with the credential's key; the key itself stays inside the store. */
  privateKey(id: string): Promise<PrivateKeyHandle>;
  /** PKCS#8 DER, only for exportable credentials. */
  exportPrivateKey(id: string): Promise<Uint8Array>;
}
