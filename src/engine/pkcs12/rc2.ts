/**
 * RC2 (RFC 2268) in CBC mode, decryption and encryption.
 *
 * Why by hand: Windows / AD CS and `openssl pkcs12 -legacy` exports protect their certificate bags
 * with pbeWithSHAAnd40BitRC2-CBC, and Node 20's OpenSSL does not load the legacy provider, so RC2 is
 * not available from node:crypto. No maintained npm package offers it with test vectors. It reads
 * (and, on request, writes) legacy PKCS#12 files, and decrypts old RC2 mail (RFC 4134 §5.2) in
 * src/engine/cms/content-encryption.ts; Cachet never encrypts new mail with it.
 */

// The PITABLE of RFC 2268 §2: a permutation of 0..255 based on the digits of pi.
const PITABLE = Buffer.from(
  'd978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2179a59f587b34f1361456d8d09817d32' +
    'bd8f40eb86b77b0bf09521225c6b4e8254d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626' +
    '6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed708e8eade8052eef784aa72ac354d6a2a' +
    '961ad2715a1549744b9fd05e0418a4ecc2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731' +
    '2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a90d38341bab33ffb0bb480c5fb9b1cd2e' +
    'c5f3db47e5a59c770aa62068fe7fc1ad',
  'hex',
);

/** Expands a key to the 64 16-bit subkeys K[0..63] (RFC 2268 §2). */
export function rc2ExpandKey(key: Uint8Array, effectiveBits: number): Uint16Array {
  if (key.length < 1 || key.length > 128) throw new RangeError('RC2 keys are 1 to 128 bytes');
  const L = new Uint8Array(128);
  L.set(key);
  const T = key.length;
  for (let i = T; i < 128; i++) L[i] = PITABLE[(L[i - 1]! + L[i - T]!) & 0xff]!;
  const T8 = Math.ceil(effectiveBits / 8);
  const TM = 0xff % 2 ** (8 + effectiveBits - 8 * T8);
  L[128 - T8] = PITABLE[L[128 - T8]! & TM]!;
  for (let i = 127 - T8; i >= 0; i--) L[i] = PITABLE[L[i + 1]! ^ L[i + T8]!]!;
  const K = new Uint16Array(64);
  for (let i = 0; i < 64; i++) K[i] = L[2 * i]! + 256 * L[2 * i + 1]!;
  return K;
}

const S = [1, 2, 3, 5] as const;

function encryptBlock(K: Uint16Array, block: Uint8Array, out: Uint8Array): void {
  const R = [block[0]! | (block[1]! << 8), block[2]! | (block[3]! << 8), block[4]! | (block[5]! << 8), block[6]! | (block[7]! << 8)];
  let j = 0;
  const mix = () => {
    for (let i = 0; i < 4; i++) {
      const v = (R[i]! + K[j]! + (R[(i + 3) % 4]! & R[(i + 2) % 4]!) + (~R[(i + 3) % 4]! & R[(i + 1) % 4]!)) & 0xffff;
      j++;
      R[i] = ((v << S[i]!) | (v >>> (16 - S[i]!))) & 0xffff;
    }
  };
  const mash = () => {
    for (let i = 0; i < 4; i++) R[i] = (R[i]! + K[R[(i + 3) % 4]! & 63]!) & 0xffff;
  };
  for (let r = 0; r < 5; r++) mix();
  mash();
  for (let r = 0; r < 6; r++) mix();
  mash();
  for (let r = 0; r < 5; r++) mix();
  for (let i = 0; i < 4; i++) {
    out[2 * i] = R[i]! & 0xff;
    out[2 * i + 1] = R[i]! >> 8;
  }
}

function decryptBlock(K: Uint16Array, block: Uint8Array, out: Uint8Array): void {
  const R = [block[0]! | (block[1]! << 8), block[2]! | (block[3]! << 8), block[4]! | (block[5]! << 8), block[6]! | (block[7]! << 8)];
  let j = 63;
  const rmix = () => {
    for (let i = 3; i >= 0; i--) {
      const v = R[i]!;
      const rotated = ((v >>> S[i]!) | (v << (16 - S[i]!))) & 0xffff;
      R[i] = (rotated - K[j]! - (R[(i + 3) % 4]! & R[(i + 2) % 4]!) - (~R[(i + 3) % 4]! & R[(i + 1) % 4]!)) & 0xffff;
      j--;
    }
  };
  const rmash = () => {
    for (let i = 3; i >= 0; i--) R[i] = (R[i]! - K[R[(i + 3) % 4]! & 63]!) & 0xffff;
  };
  for (let r = 0; r < 5; r++) rmix();
  rmash();
  for (let r = 0; r < 6; r++) rmix();
  rmash();
  for (let r = 0; r < 5; r++) rmix();
  for (let i = 0; i < 4; i++) {
    out[2 * i] = R[i]! & 0xff;
    out[2 * i + 1] = R[i]! >> 8;
  }
}

export function rc2EncryptEcbBlock(key: Uint8Array, effectiveBits: number, block: Uint8Array): Buffer {
  const out = Buffer.alloc(8);
  encryptBlock(rc2ExpandKey(key, effectiveBits), block, out);
  return out;
}

/** RC2-CBC decryption with PKCS#7 padding removed; returns undefined when the padding is wrong. */
export function rc2CbcDecrypt(key: Uint8Array, effectiveBits: number, iv: Uint8Array, ciphertext: Uint8Array): Buffer | undefined {
  if (ciphertext.length === 0 || ciphertext.length % 8 !== 0) return undefined;
  const K = rc2ExpandKey(key, effectiveBits);
  const out = Buffer.alloc(ciphertext.length);
  let previous = Buffer.from(iv);
  const plain = new Uint8Array(8);
  for (let offset = 0; offset < ciphertext.length; offset += 8) {
    const block = ciphertext.subarray(offset, offset + 8);
    decryptBlock(K, block, plain);
    for (let i = 0; i < 8; i++) out[offset + i] = plain[i]! ^ previous[i]!;
    previous = Buffer.from(block);
  }
  const pad = out[out.length - 1]!;
  if (pad < 1 || pad > 8) return undefined;
  for (let i = out.length - pad; i < out.length; i++) if (out[i] !== pad) return undefined;
  return out.subarray(0, out.length - pad);
}

/** RC2-CBC encryption with PKCS#7 padding (for legacy PKCS#12 output only). */
export function rc2CbcEncrypt(key: Uint8Array, effectiveBits: number, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const K = rc2ExpandKey(key, effectiveBits);
  const pad = 8 - (plaintext.length % 8);
  const input = Buffer.concat([Buffer.from(plaintext), Buffer.alloc(pad, pad)]);
  const out = Buffer.alloc(input.length);
  let previous = Buffer.from(iv);
  const block = new Uint8Array(8);
  for (let offset = 0; offset < input.length; offset += 8) {
    for (let i = 0; i < 8; i++) block[i] = input[offset + i]! ^ previous[i]!;
    encryptBlock(K, block, out.subarray(offset, offset + 8));
    previous = out.subarray(offset, offset + 8);
  }
  return out;
}
