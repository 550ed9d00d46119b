/**
 * Password-based encryption and MACs of PKCS#12 (RFC 7292) and PKCS#5 (RFC 8018): the PKCS#12 key
 * derivation (appendix B — not in node:crypto, so written here), the legacy PBE schemes of Windows
 * exports (pbeWithSHAAnd3-KeyTripleDES-CBC, pbeWithSHAAnd40/128BitRC2-CBC) and PBES2 with PBKDF2.
 * Iteration counts are bounded: a hostile file must not make Cachet spin for hours.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { CachetError } from '../../errors.js';
import { objectIdentifier, octetString, sequence, smallInteger } from '../asn1/ber-writer.js';
import { derChildren, derContent, derInteger, derNode, derOid } from '../cms/der-walk.js';
import { rc2CbcDecrypt, rc2CbcEncrypt } from './rc2.js';
import { withIteratedHash } from './iterated-hash.js';

export const PKCS12_LIMITS = {
  /** Iterations beyond this are refused as hostile (real files use 2,048 to 600,000). */
  maxIterations: 10_000_000,
  /**
   * The hash rounds all key derivations of one file may cost together (MAC and every encrypted
   * part), counted before any is done. 10,000,000 SHA-1 rounds of the PKCS#12 KDF take 14 s here,
   * so one count at the limit or 255 bags of 2,048 each could hold a server for minutes. Real
   * exports stay well below: OpenSSL 3 and Windows ~6,000, NSS (Firefox, Thunderbird) 1,800,000.
   */
  maxDerivationRoundsPerFile: 5_000_000,
} as const;

export const PBE_OID = {
  pbeWithSHAAnd128BitRC4: '1.2.840.113549.1.12.1.1',
  pbeWithSHAAnd3KeyTripleDES: '1.2.840.113549.1.12.1.3',
  pbeWithSHAAnd128BitRC2: '1.2.840.113549.1.12.1.5',
  pbeWithSHAAnd40BitRC2: '1.2.840.113549.1.12.1.6',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA1: '1.2.840.113549.2.7',
  hmacWithSHA256: '1.2.840.113549.2.9',
  hmacWithSHA384: '1.2.840.113549.2.10',
  hmacWithSHA512: '1.2.840.113549.2.11',
  aes128cbc: '2.16.840.1.101.3.4.1.2',
  aes192cbc: '2.16.840.1.101.3.4.1.22',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
  desEde3cbc: '1.2.840.113549.3.7',
} as const;

const HMAC_HASH: Record<string, string> = {
  [PBE_OID.hmacWithSHA1]: 'sha1',
  [PBE_OID.hmacWithSHA256]: 'sha256',
  [PBE_OID.hmacWithSHA384]: 'sha384',
  [PBE_OID.hmacWithSHA512]: 'sha512',
};
const PBES2_CIPHERS: Record<string, { name: string; keyLength: number }> = {
  [PBE_OID.aes128cbc]: { name: 'aes-128-cbc', keyLength: 16 },
  [PBE_OID.aes192cbc]: { name: 'aes-192-cbc', keyLength: 24 },
  [PBE_OID.aes256cbc]: { name: 'aes-256-cbc', keyLength: 32 },
  [PBE_OID.desEde3cbc]: { name: 'des-ede3-cbc', keyLength: 24 },
};

function checkIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > PKCS12_LIMITS.maxIterations) {
    throw new CachetError('ERR_LIMIT_EXCEEDED', `the file asks for ${iterations} key-derivation iterations; more than ${PKCS12_LIMITS.maxIterations} is refused`);
  }
}

/** The password as PKCS#12 wants it: BMPString (UTF-16BE) with a two-byte terminator. */
export function bmpPassword(password: string): Buffer {
  const out = Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

interface KdfState {
  D: Buffer;
  I: Buffer;
  u: number;
  v: number;
}

function kdfStart(hash: string, password: Buffer, salt: Uint8Array, id: 1 | 2 | 3, iterations: number): KdfState {
  checkIterations(iterations);
  const u = createHash(hash).digest().length;
  const v = hash === 'sha384' || hash === 'sha512' ? 128 : 64;
  const fill = (input: Uint8Array) => {
    if (input.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(input.length / v));
    for (let i = 0; i < out.length; i++) out[i] = input[i % input.length]!;
    return out;
  };
  return { D: Buffer.alloc(v, id), I: Buffer.concat([fill(salt), fill(password)]), u, v };
}

/**
 * I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block of I, B being A repeated to v bytes.
 * @returns whether a block of I now begins with a zero byte (see pkcs12Kdf)
 */
function kdfUpdate(state: KdfState, A: Buffer): boolean {
  const { I, v } = state;
  const B = Buffer.alloc(v);
  for (let i = 0; i < v; i++) B[i] = A[i % A.length]!;
  let leadingZero = false;
  for (let j = 0; j < I.length; j += v) {
    let carry = 1;
    for (let k = v - 1; k >= 0; k--) {
      const sum = I[j + k]! + B[k]! + carry;
      I[j + k] = sum & 0xff;
      carry = sum >> 8;
    }
    if (I[j] === 0) leadingZero = true;
  }
  return leadingZero;
}

/** How many output blocks a PKCS#12 KDF output of `length` bytes takes: each costs `iterations` rounds. */
function kdfBlocks(hash: string, length: number): number {
  return Math.ceil(length / createHash(hash).digest().length);
}

/** How many hash rounds a PKCS#12 KDF output of `length` bytes costs. */
function kdfRounds(hash: string, iterations: number, length: number): number {
  return iterations * kdfBlocks(hash, length);
}

/**
 * The PKCS#12 KDF (RFC 7292 appendix B.2; ID 1 = key, 2 = IV, 3 = MAC key), its rounds off the event
 * loop when they are many (iterated-hash.ts); the one implementation, for reading and for writing.
 *
 * `misreadByGpgsm`: whether a block of I began with a zero byte after an update between rounds.
 * GnuPG's gpgsm (2.2, minip12.c) does that update on big numbers and prints each block back without
 * its leading zero bytes, so it derives another key then: about one salt in 128 for a 3DES key (24
 * bytes take two SHA-1 rounds; a single-round key, IV or MAC key is never updated).
 * @throws CachetError ERR_LIMIT_EXCEEDED (an iteration count over the limit), ERR_INTERNAL (the worker failed).
 */
async function pkcs12Kdf(hash: string, password: Buffer, salt: Uint8Array, id: 1 | 2 | 3, iterations: number, length: number): Promise<{ key: Buffer; misreadByGpgsm: boolean }> {
  const state = kdfStart(hash, password, salt, id, iterations);
  return withIteratedHash(hash, iterations, kdfBlocks(hash, length), async (hashRounds) => {
    const blocks: Buffer[] = [];
    let misreadByGpgsm = false;
    for (let produced = 0; produced < length; produced += state.u) {
      const A = await hashRounds(Buffer.concat([state.D, state.I]));
      blocks.push(A);
      if (produced + state.u >= length) break; // the last round: I is not used again
      if (kdfUpdate(state, A)) misreadByGpgsm = true;
    }
    return { key: Buffer.concat(blocks).subarray(0, length), misreadByGpgsm };
  });
}

const kdfKey = async (hash: string, password: Buffer, salt: Uint8Array, id: 1 | 2 | 3, iterations: number, length: number): Promise<Buffer> =>
  (await pkcs12Kdf(hash, password, salt, id, iterations, length)).key;

const LEGACY_PBE: Record<string, { cipher: 'des-ede3-cbc' | 'rc2'; keyLength: number }> = {
  [PBE_OID.pbeWithSHAAnd3KeyTripleDES]: { cipher: 'des-ede3-cbc', keyLength: 24 },
  [PBE_OID.pbeWithSHAAnd128BitRC2]: { cipher: 'rc2', keyLength: 16 },
  [PBE_OID.pbeWithSHAAnd40BitRC2]: { cipher: 'rc2', keyLength: 5 },
};

/**
 * The hash rounds that decrypting with this EncryptionAlgorithmIdentifier (DER) costs, read from its
 * parameters before any derivation: a legacy PBE derives a key and an IV with the PKCS#12 KDF,
 * PBES2 a key with PBKDF2. Zero for an algorithm Cachet does not know (decrypting it is refused).
 */
export function decryptionCost(algorithmDer: Uint8Array): number {
  const [oidNode, params] = derChildren(algorithmDer, derNode(algorithmDer));
  const oid = derOid(algorithmDer, oidNode!);
  if (oid === PBE_OID.pbes2) {
    const [kdf, scheme] = derChildren(algorithmDer, params!);
    const kdfParams = derChildren(algorithmDer, kdf!)[1];
    const iterations = derInteger(algorithmDer, derChildren(algorithmDer, kdfParams!)[1]!);
    const cipher = PBES2_CIPHERS[derOid(algorithmDer, derChildren(algorithmDer, scheme!)[0]!)];
    // PBKDF2 with SHA-1 (20-byte blocks) is the most blocks a 32-byte key can take.
    return iterations * Math.ceil((cipher?.keyLength ?? 32) / 20);
  }
  const legacy = LEGACY_PBE[oid];
  if (!legacy) return 0;
  const iterations = derInteger(algorithmDer, derChildren(algorithmDer, params!)[1]!);
  return kdfRounds('sha1', iterations, legacy.keyLength) + kdfRounds('sha1', iterations, 8);
}

/**
 * Decrypts data protected by an EncryptionAlgorithmIdentifier (DER); undefined when the password is
 * wrong. The key derivation runs off the event loop (Node's async pbkdf2, or a worker for the
 * PKCS#12 KDF); the caller bounds its total cost with decryptionCost first.
 */
export async function pbeDecrypt(algorithmDer: Uint8Array, password: string, data: Uint8Array): Promise<Buffer | undefined> {
  const root = derNode(algorithmDer);
  const [oidNode, params] = derChildren(algorithmDer, root);
  const oid = derOid(algorithmDer, oidNode!);
  if (oid === PBE_OID.pbes2) return pbes2Decrypt(algorithmDer, params!, password, data);
  const legacy = LEGACY_PBE[oid];
  if (!legacy) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the PKCS#12 file uses an unsupported encryption (${oid})`);
  const [saltNode, iterationsNode] = derChildren(algorithmDer, params!);
  const salt = derContent(algorithmDer, saltNode!);
  const iterations = derInteger(algorithmDer, iterationsNode!);
  const pw = bmpPassword(password);
  const key = await kdfKey('sha1', pw, salt, 1, iterations, legacy.keyLength);
  const iv = await kdfKey('sha1', pw, salt, 2, iterations, 8);
  if (legacy.cipher === 'rc2') return rc2CbcDecrypt(key, legacy.keyLength * 8, iv, data);
  return tryDecipher(legacy.cipher, key, iv, data);
}

async function pbes2Decrypt(buf: Uint8Array, params: ReturnType<typeof derNode>, password: string, data: Uint8Array): Promise<Buffer | undefined> {
  const [kdf, scheme] = derChildren(buf, params);
  const [kdfOid, kdfParams] = derChildren(buf, kdf!);
  if (derOid(buf, kdfOid!) !== PBE_OID.pbkdf2) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'the PKCS#12 file uses a key derivation other than PBKDF2');
  const fields = derChildren(buf, kdfParams!);
  const salt = derContent(buf, fields[0]!);
  const iterations = derInteger(buf, fields[1]!);
  checkIterations(iterations);
  const prfNode = fields.find((f, i) => i >= 2 && f.tag === 0x30);
  const hash = prfNode ? HMAC_HASH[derOid(buf, derChildren(buf, prfNode)[0]!)] : 'sha1';
  if (!hash) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'the PKCS#12 file uses an unsupported PBKDF2 PRF');
  const [cipherOid, ivNode] = derChildren(buf, scheme!);
  const cipher = PBES2_CIPHERS[derOid(buf, cipherOid!)];
  if (!cipher) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'the PKCS#12 file uses an unsupported cipher');
  // RFC 8018 passwords are octet strings: UTF-8, as OpenSSL writes them.
  const key = await promisify(pbkdf2)(Buffer.from(password, 'utf8'), salt, iterations, cipher.keyLength, hash);
  return tryDecipher(cipher.name, key, derContent(buf, ivNode!), data);
}

function tryDecipher(name: string, key: Buffer, iv: Uint8Array, data: Uint8Array): Buffer | undefined {
  try {
    const decipher = createDecipheriv(name, key, iv);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Modern protection: PBES2, PBKDF2-HMAC-SHA-256, AES-256-CBC. */
export function pbes2Encrypt(password: string, data: Uint8Array, iterations: number): { algorithm: Buffer; encrypted: Buffer } {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(data), cipher.final()]);
  const algorithm = sequence(
    objectIdentifier(PBE_OID.pbes2),
    sequence(
      sequence(objectIdentifier(PBE_OID.pbkdf2), sequence(octetString(salt), smallInteger(iterations), sequence(objectIdentifier(PBE_OID.hmacWithSHA256), Buffer.from([0x05, 0x00])))),
      sequence(objectIdentifier(PBE_OID.aes256cbc), octetString(iv)),
    ),
  );
  return { algorithm, encrypted };
}

/**
 * Legacy protection for old clients: pbeWithSHAAnd3-KeyTripleDES-CBC (keys) or 40-bit RC2 (certificates).
 * A 3DES salt that gpgsm would derive another key from (see pkcs12Kdf) is drawn again: the
 * legacy form exists for such readers, and one key in ~128 failed to import into gpgsm otherwise.
 * @param drawSalt the salt source (tests give chosen salts)
 */
export async function legacyPbeEncrypt(
  password: string,
  data: Uint8Array,
  iterations: number,
  scheme: '3des' | 'rc2-40',
  drawSalt: () => Uint8Array = () => randomBytes(8),
): Promise<{ algorithm: Buffer; encrypted: Buffer }> {
  const pw = bmpPassword(password);
  const algorithmOid = scheme === '3des' ? PBE_OID.pbeWithSHAAnd3KeyTripleDES : PBE_OID.pbeWithSHAAnd40BitRC2;
  const algorithmFor = (salt: Uint8Array) => sequence(objectIdentifier(algorithmOid), sequence(octetString(salt), smallInteger(iterations)));
  if (scheme === '3des') {
    for (;;) {
      const salt = drawSalt();
      const { key, misreadByGpgsm } = await pkcs12Kdf('sha1', pw, salt, 1, iterations, 24);
      if (misreadByGpgsm) continue;
      const cipher = createCipheriv('des-ede3-cbc', key, await kdfKey('sha1', pw, salt, 2, iterations, 8));
      return { algorithm: algorithmFor(salt), encrypted: Buffer.concat([cipher.update(data), cipher.final()]) };
    }
  }
  const salt = drawSalt();
  return { algorithm: algorithmFor(salt), encrypted: rc2CbcEncrypt(await kdfKey('sha1', pw, salt, 1, iterations, 5), 40, await kdfKey('sha1', pw, salt, 2, iterations, 8), data) };
}

/** The PFX MAC (RFC 7292 §4): HMAC keyed by the PKCS#12 KDF (ID 3) over the authenticated safe. */
export async function pfxMac(hash: string, password: string, salt: Uint8Array, iterations: number, data: Uint8Array): Promise<Buffer> {
  const keyLength = createHash(hash).digest().length;
  return createHmac(hash, await kdfKey(hash, bmpPassword(password), salt, 3, iterations, keyLength)).update(data).digest();
}
