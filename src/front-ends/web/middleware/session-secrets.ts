/**
 * What a signed-in session needs to be reopened by any instance of the server (the user's mail
 * password, for IMAP and SMTP), sealed with AES-256-GCM under a key that only the session's cookie
 * carries: the session store keeps the sealed bytes, never the key, so a copy of the state directory
 * or the database yields no password, and an instance that gets the cookie can unseal them. The
 * associated data binds the seal to its session id and user: a sealed record moved onto another
 * session or user fails its tag.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CachetError } from '../../../errors.js';

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
export const SESSION_KEY_BYTES = 32;

export function newSessionKey(): string {
  return randomBytes(SESSION_KEY_BYTES).toString('base64url');
}

function associatedData(sessionId: string, user: string): Buffer {
  return Buffer.from(`cachet session secrets v1\0${sessionId}\0${user}`);
}

export function sealSessionSecrets(secrets: SessionSecrets, key: string, sessionId: string, user: string): SealedSecrets {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64url'), iv);
  cipher.setAAD(associatedData(sessionId, user));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
  return { version: 1, iv: iv.toString('base64'), ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/**
 * @throws CachetError ERR_SESSION_ENDED when the seal does not open with this key for this session
 * and user (a forged or damaged cookie, a record moved or tampered with): the user signs in again.
 */
export function unsealSessionSecrets(sealed: SealedSecrets, key: string, sessionId: string, user: string): SessionSecrets {
  try {
    const keyBytes = Buffer.from(key, 'base64url');
    if (keyBytes.length !== SESSION_KEY_BYTES) throw new Error('wrong key length');
    const decipher = createDecipheriv('aes-256-gcm', keyBytes, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(associatedData(sessionId, user));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as SessionSecrets;
  } catch (error) {
    throw new CachetError('ERR_SESSION_ENDED', 'your session cannot be resumed: sign in again', { cause: error });
  }
}
