/**
 * RSAES-PKCS1-v1_5 decryption with implicit rejection, for CMS key transport.
 *
 * Why by hand: Node 20 refuses RSA_PKCS1_PADDING in privateDecrypt (the Marvin attack), yet Outlook,
 * NSS, gpgsm and OpenSSL all send PKCS#1 v1.5 key transport by default. Re-enabling the padding with
 * --security-revert would reopen the Bleichenbacher/Marvin padding oracle. Instead, as in
 * draft-irtf-cfrg-rsa-guidance and OpenSSL 3.2: the raw RSA operation (no padding) is done by Node,
 * and the padding is checked here without branching on it; when the padding is bad, a synthetic key
 * derived deterministically from the private key and the ciphertext is returned instead of an error.
 * The caller then fails exactly as it would with a wrong content key (CBC padding or GCM tag), so
 * an attacker learns nothing from the difference.
 */
import { constants, createHash, createHmac, privateDecrypt, type KeyObject } from 'node:crypto';

const kdkKeys = new WeakMap<KeyObject, Buffer>();

/** SHA-256 of the private exponent, left-padded to the modulus length: the key of the KDK HMAC. */
function implicitRejectionKey(privateKey: KeyObject, modulusLength: number): Buffer {
  let key = kdkKeys.get(privateKey);
  if (!key) {
    const jwk = privateKey.export({ format: 'jwk' });
    const d = Buffer.from(jwk.d ?? '', 'base64url');
    const padded = Buffer.concat([Buffer.alloc(Math.max(0, modulusLength - d.length)), d]);
    key = createHash('sha256').update(padded).digest();
    kdkKeys.set(privateKey, key);
  }
  return key;
}

/** The PRF of the guidance: HMAC-SHA256(kdk, counter ‖ label ‖ bit length), concatenated. */
function prf(kdk: Buffer, label: string, bytes: number): Buffer {
  const out: Buffer[] = [];
  const bits = Buffer.alloc(2);
  bits.writeUInt16BE((bytes * 8) & 0xffff);
  for (let i = 0; out.length * 32 < bytes; i++) {
    const counter = Buffer.alloc(2);
    counter.writeUInt16BE(i);
    out.push(createHmac('sha256', kdk).update(counter).update(label, 'latin1').update(bits).digest());
  }
  return Buffer.concat(out).subarray(0, bytes);
}

/**
 * Recovers a content-encryption key of `expectedLength` bytes. Never throws on bad padding: returns
 * a synthetic key instead (see the module comment). Throws only for a ciphertext of the wrong size.
 */
export async function rsaPkcs1DecryptWithImplicitRejection(privateKey: KeyObject, ciphertext: Uint8Array, expectedLength: number): Promise<Uint8Array> {
  const modulusBits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  const k = Math.ceil(modulusBits / 8);
  // A short ciphertext is left-padded (some encoders strip leading zero bytes).
  const c = ciphertext.length < k ? Buffer.concat([Buffer.alloc(k - ciphertext.length), ciphertext]) : Buffer.from(ciphertext);
  const kdk = createHmac('sha256', implicitRejectionKey(privateKey, k)).update(c).digest();
  const synthetic = prf(kdk, 'message', expectedLength);
  let em: Buffer;
  try {
    em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, c);
  } catch {
    // c ≥ n or of the wrong length: not a padding question, and the same answer as bad padding.
    return synthetic;
  }
  return selectConstantTime(em, synthetic, expectedLength);
}

/**
 * Checks EM = 0x00 ‖ 0x02 ‖ PS (≥ 8 non-zero bytes) ‖ 0x00 ‖ M with |M| = expectedLength, touching
 * every byte and without branching on secret data, then picks M or the synthetic key by a mask.
 */
function selectConstantTime(em: Buffer, synthetic: Buffer, expectedLength: number): Buffer {
  const k = em.length;
  let good = isZero(em[0]!) & isZero(em[1]! ^ 0x02);
  // the separator: the first zero byte after index 1
  let separatorIndex = 0;
  let found = 0;
  for (let i = 2; i < k; i++) {
    const zero = isZero(em[i]!);
    const take = zero & (found ^ 1);
    separatorIndex = select(take, i, separatorIndex);
    found |= zero;
  }
  good &= found;
  // at least 8 bytes of padding string: separator at index ≥ 10
  good &= lessThan(9, separatorIndex);
  // the message must be exactly the expected key length
  good &= isZero((k - separatorIndex - 1) ^ expectedLength);
  const start = k - expectedLength;
  const out = Buffer.alloc(expectedLength);
  const mask = -good & 0xff;
  for (let i = 0; i < expectedLength; i++) {
    out[i] = (em[start + i]! & mask) | (synthetic[i]! & ~mask & 0xff);
  }
  return out;
}

/** 1 when x is zero (x < 2^31), else 0, without a branch. */
function isZero(x: number): number {
  return ((~x & (x - 1)) >>> 31) & 1;
}

/** 1 when a < b (both non-negative, < 2^31), else 0. */
function lessThan(a: number, b: number): number {
  return ((a - b) >>> 31) & 1;
}

function select(bit: number, ifOne: number, ifZero: number): number {
  const mask = -bit;
  return (ifOne & mask) | (ifZero & ~mask);
}
