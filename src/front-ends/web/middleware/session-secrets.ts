/**
 * What a signed-in session needs to be reopened by any instance of the server (the user's mail
 * password, for IMAP and SMTP), sealed with AES-256-GCM under a key that only the session's cookie
 * carries: the session store keeps the sealed bytes, never the key, so a copy of the state directory
 * or the database yields no password, and an instance that gets the cookie can unseal them. The
 * associated data binds the seal to its session id and user: a sealed record moved onto another
 * session or user fails its tag.
 */
import { randomBytes } from 'node:crypto';
import { CachetError } from '../../../errors.js';
import { AES_256_GCM_KEY_BYTES, openFromBase64, sealToBase64 } from '../../../adapters/keys/aes-gcm-seal.js';

/** The secrets of one session; each field only when the sign-in method needs it to reopen the session. */
export interface SessionSecrets {
  /** The user's mail password, when the session reads and sends on the organisation's IMAP and SMTP with it. */
  mailPassword?: string;
}

export interface SealedSecrets {
  version: 1;
  iv: string;
  ciphertext: string;
  tag: string;
}

/** The per-session key's length: AES-256. */
export const SESSION_KEY_BYTES = AES_256_GCM_KEY_BYTES;

export function newSessionKey(): string {
  return randomBytes(SESSION_KEY_BYTES).toString('base64url');
}

function associatedData(sessionId: string, user: string): Buffer {
  return Buffer.from(`cachet session secrets v1\0${sessionId}\0${user}`);
}

export function sealSessionSecrets(secrets: SessionSecrets, key: string, sessionId: string, user: string): SealedSecrets {
  return { version: 1, ...sealToBase64(Buffer.from(key, 'base64url'), Buffer.from(JSON.stringify(secrets), 'utf8'), associatedData(sessionId, user)) };
}

/**
 * @throws CachetError ERR_SESSION_ENDED when the seal does not open with this key for this session
 * and user (a forged or damaged cookie, a record moved or tampered with): the user signs in again.
 */
export function unsealSessionSecrets(sealed: SealedSecrets, key: string, sessionId: string, user: string): SessionSecrets {
  const ended = (cause?: unknown): CachetError => new CachetError('ERR_SESSION_ENDED', 'your session cannot be resumed: sign in again', { cause });
  const plain = openFromBase64(Buffer.from(key, 'base64url'), sealed, associatedData(sessionId, user));
  if (!plain) throw ended();
  try {
    return JSON.parse(plain.toString('utf8')) as SessionSecrets;
  } catch (error) {
    throw ended(error);
  }
}
