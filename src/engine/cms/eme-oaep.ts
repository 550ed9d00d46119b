/**
 * RSAES-OAEP decryption whose MGF1 digest differs from the OAEP digest (RFC 8017 §7.1.2, RFC 4055
 * §4.1) — e.g. SHA-256 with MGF1-SHA-1, the default of Java's "OAEPWithSHA-256AndMGF1Padding" and of
 * BouncyCastle, and what `openssl cms -keyopt rsa_oaep_md:sha256` writes unless told otherwise.
 *
 * Why by hand: Node's `privateDecrypt` takes a single `oaepHash`, used for both the label hash and
 * MGF1; it exposes no MGF1 digest option. So Node does the raw RSA operation (RSA_NO_PADDING) and the
 * EME-OAEP decoding is done here. Against Manger's attack every failure (Y ≠ 0, lHash mismatch, no
 * 0x01 separator, a non-zero byte in PS, c ≥ n) takes the same path to the same error: the whole DB
 * is scanned, the checks are combined with bitwise operations, and there is no early exit on secret
 * data — the only branch is the final one, on the combined verdict.
 */
import { constants, createHash, privateDecrypt, type KeyObject } from 'node:crypto';
import { CachetError } from '../../errors.js';

export type OaepDigest = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface OaepDecodeParameters {
  hash: OaepDigest;
  mgf1Hash: OaepDigest;
  label?: Uint8Array;
}

/** The one error every RSA-OAEP failure gives, whichever path decoded it (Node's or ours). */
export function oaepDecryptFailed(cause?: unknown): CachetError {
  return new CachetError('ERR_DECRYPT_FAILED', 'the message could not be decrypted with this key', cause === undefined ? {} : { cause });
}

/** MGF1 (RFC 8017 §B.2.1): Hash(seed ‖ C) for C = 0, 1, …, truncated to `length`. */
export function mgf1(hash: OaepDigest, seed: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  let total = 0;
  const counter = Buffer.alloc(4);
  for (let i = 0; total < length; i++) {
    counter.writeUInt32BE(i);
    const block = createHash(hash).update(seed).update(counter).digest();
    blocks.push(block);
    total += block.length;
  }
  return Buffer.concat(blocks, total).subarray(0, length);
}

/**
 * EME-OAEP decoding of `em` (exactly k bytes, the output of the raw RSA operation). Returns M, or
 * throws {@link oaepDecryptFailed} for any malformed encoding, all failures alike.
 */
export function emeOaepDecode(em: Uint8Array, parameters: OaepDecodeParameters): Buffer {
  const k = em.length;
  const lHash = createHash(parameters.hash).update(parameters.label ?? new Uint8Array(0)).digest();
  const hLen = lHash.length;
  // k < 2hLen + 2 depends only on the key size and the digest, both public.
  if (k < 2 * hLen + 2) throw oaepDecryptFailed();
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDb = em.subarray(1 + hLen);
  const seedMask = mgf1(parameters.mgf1Hash, maskedDb, hLen);
  const seed = Buffer.alloc(hLen);
  for (let i = 0; i < hLen; i++) seed[i] = maskedSeed[i]! ^ seedMask[i]!;
  const dbMask = mgf1(parameters.mgf1Hash, seed, k - hLen - 1);
  const db = Buffer.alloc(k - hLen - 1);
  for (let i = 0; i < db.length; i++) db[i] = maskedDb[i]! ^ dbMask[i]!;

  // bad collects every failure: any non-zero bit means the encoding is invalid.
  let bad = em[0]!;
  for (let i = 0; i < hLen; i++) bad |= db[i]! ^ lHash[i]!;
  // DB = lHash' ‖ PS ‖ 0x01 ‖ M: the first non-zero byte after lHash' must be 0x01; scan all of DB.
  let found = 0; // 1 once the first non-zero byte has been seen
  let separatorIndex = 0;
  for (let i = hLen; i < db.length; i++) {
    const byte = db[i]!;
    const nonZero = isNonZero(byte);
    const first = nonZero & (found ^ 1);
    // the first non-zero byte must be exactly 0x01 (otherwise PS held a stray byte)
    bad |= first * (byte ^ 0x01);
    separatorIndex = select(first, i, separatorIndex);
    found |= nonZero;
  }
  bad |= found ^ 1;
  if (bad !== 0) throw oaepDecryptFailed();
  return Buffer.from(db.subarray(separatorIndex + 1));
}

/**
 * RSAES-OAEP decryption with an MGF1 digest of its own: the raw RSA operation by Node, the decoding
 * above. A ciphertext that is not below the modulus fails like any bad padding.
 */
export function rsaOaepDecryptWithMgf1(privateKey: KeyObject, ciphertext: Uint8Array, parameters: OaepDecodeParameters): Buffer {
  const k = Math.ceil((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  // The ciphertext's length is public; a longer one cannot be valid, a shorter one is left-padded as
  // OpenSSL does (some encoders strip leading zero bytes).
  if (ciphertext.length > k || k === 0) throw oaepDecryptFailed();
  const c = ciphertext.length < k ? Buffer.concat([Buffer.alloc(k - ciphertext.length), ciphertext]) : Buffer.from(ciphertext);
  let em: Buffer;
  try {
    em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, c);
  } catch (error) {
    throw oaepDecryptFailed(error);
  }
  return emeOaepDecode(em, parameters);
}

/** 1 when the byte x is non-zero, else 0, without a branch. */
function isNonZero(x: number): number {
  return ((x | -x) >>> 31) & 1;
}

function select(bit: number, ifOne: number, ifZero: number): number {
  const mask = -bit;
  return (ifOne & mask) | (ifZero & ~mask);
}
