// PLACEHOLDER — replaced by the envelope work (implicit-rejection RSA PKCS#1 v1.5 decryption).
import type { KeyObject } from 'node:crypto';
import { CachetError } from '../errors.js';
export async function rsaPkcs1DecryptWithImplicitRejection(_key: KeyObject, _c: Uint8Array, _expectedLength: number): Promise<Uint8Array> {
  throw new CachetError('ERR_NOT_IMPLEMENTED');
}
