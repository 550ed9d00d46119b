/**
 * AES-256-GCM sealing of secrets at rest, the one place that does it: the vault's contents, the
 * server's wrapped vault passphrases (front-ends/server/user-keys.ts), the web sessions' secrets
 * (front-ends/web/middleware/session-secrets.ts) and the CA's archived keys and recovery shares
 * (ca/key-archive.ts). Pure crypto, no I/O: each caller keeps its own file format around the three
 * parts and decides what a seal that does not open means to its user.
 *
 * A fresh 96-bit random IV per seal (NIST SP 800-38D §8.2.2: at most 2^32 seals under one key with
 * random IVs, far above any use here) and the full 128-bit tag. The associated data binds a seal to
 * what it belongs to (an address, a session, a serial): moved onto anything else, it fails its tag.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const AES_256_GCM_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealed {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** The three parts in base64, as the JSON files and records keep them. */
export interface SealedBase64 {
  iv: string;
  ciphertext: string;
  tag: string;
}

/**
 * Seals `plaintext` under a 32-byte key. `iv` is for a format that must know it before sealing (the
 * vault puts it in the header the tag covers); leave it out otherwise.
 * @throws RangeError / TypeError for a key that is not 32 bytes (a programming error, never user input).
 * @example const sealed = sealAes256Gcm(key, Buffer.from(secret), Buffer.from(`my format v1\0${owner}`));
 */
export function sealAes256Gcm(key: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array, iv: Uint8Array = randomBytes(IV_BYTES)): Sealed {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv: Buffer.from(iv), ciphertext, tag: cipher.getAuthTag() };
}

/**
 * The plaintext, or undefined when the seal does not open: a wrong key (or one of the wrong length),
 * other associated data, a changed byte, a shortened tag. Callers turn that into their own error.
 */
export function openAes256Gcm(key: Uint8Array, sealed: Sealed, associatedData: Uint8Array): Buffer | undefined {
  if (key.length !== AES_256_GCM_KEY_BYTES || sealed.tag.length !== TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData);
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

export function sealToBase64(key: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): SealedBase64 {
  const { iv, ciphertext, tag } = sealAes256Gcm(key, plaintext, associatedData);
  return { iv: iv.toString('base64'), ciphertext: ciphertext.toString('base64'), tag: tag.toString('base64') };
}

/** As {@link openAes256Gcm}, for the base64 form; fields that are not strings do not open either. */
export function openFromBase64(key: Uint8Array, sealed: SealedBase64, associatedData: Uint8Array): Buffer | undefined {
  if (typeof sealed?.iv !== 'string' || typeof sealed.ciphertext !== 'string' || typeof sealed.tag !== 'string') return undefined;
  return openAes256Gcm(key, { iv: Buffer.from(sealed.iv, 'base64'), ciphertext: Buffer.from(sealed.ciphertext, 'base64'), tag: Buffer.from(sealed.tag, 'base64') }, associatedData);
}
