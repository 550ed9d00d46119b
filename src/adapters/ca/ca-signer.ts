/**
 * How the CA signs: always through the engine's PrivateKeyHandle, so the CA key can be a software
 * key decrypted from the CA's key file (softwareKey) or, through the same interface, a vault or
 * PKCS#11 token key that never leaves its store.
 *
 * @peculiar/x509 signs with WebCrypto (a CryptoKey and `crypto.subtle.sign`). This module gives it
 * a CryptoKey stand-in and a Crypto whose `subtle.sign` calls the handle for that stand-in and
 * defers to Node's WebCrypto for everything else; x509 has no hook for an external signer, hence
 * this adapter.
 */
import { webcrypto } from 'node:crypto';
import { CachetError } from '../../errors.js';
import type { DigestAlgorithm, PrivateKeyHandle, SignatureScheme } from '../../engine/keys.js';

const HASH_NAMES: Record<DigestAlgorithm, string> = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };
const COORDINATE_BYTES: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

export interface SigningProfile {
  scheme: SignatureScheme;
  digest: DigestAlgorithm;
  /** AlgorithmIdentifier OID of the signature, for structures built by hand (OCSP). */
  signatureOid: string;
}

/** The signature a CA key makes: RSA PKCS#1 v1.5 with SHA-256; ECDSA with the curve's hash. */
export function signingProfile(key: PrivateKeyHandle): SigningProfile {
  if (key.kind === 'rsa') return { scheme: 'rsa-pkcs1', digest: 'sha256', signatureOid: '1.2.840.113549.1.1.11' };
  if (key.kind === 'ec') {
    if (key.curve === 'P-384') return { scheme: 'ecdsa', digest: 'sha384', signatureOid: '1.2.840.10045.4.3.3' };
    if (key.curve === 'P-521') return { scheme: 'ecdsa', digest: 'sha512', signatureOid: '1.2.840.10045.4.3.4' };
    return { scheme: 'ecdsa', digest: 'sha256', signatureOid: '1.2.840.10045.4.3.2' };
  }
  throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `a CA key of type ${key.kind} is not supported (RSA or EC only)`);
}

/** Ecdsa-Sig-Value (DER) → r‖s, each left-padded to the coordinate size, as WebCrypto returns it. */
export function ecdsaDerToRaw(der: Uint8Array, coordinateBytes: number): Uint8Array {
  let offset = 0;
  const readLength = (): number => {
    const first = der[offset++]!;
    if (first < 0x80) return first;
    let length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = (length << 8) | der[offset++]!;
    return length;
  };
  if (der[offset++] !== 0x30) throw new CachetError('ERR_ASN1_MALFORMED', 'an ECDSA signature is not a SEQUENCE');
  readLength();
  const out = new Uint8Array(coordinateBytes * 2);
  for (let part = 0; part < 2; part++) {
    if (der[offset++] !== 0x02) throw new CachetError('ERR_ASN1_MALFORMED', 'an ECDSA signature value is not an INTEGER');
    const length = readLength();
    let value = der.subarray(offset, offset + length);
    offset += length;
    while (value.length > coordinateBytes && value[0] === 0) value = value.subarray(1);
    if (value.length > coordinateBytes) throw new CachetError('ERR_ASN1_MALFORMED', 'an ECDSA signature value is too long for its curve');
    out.set(value, part * coordinateBytes + (coordinateBytes - value.length));
  }
  return out;
}

export interface X509Signing {
  signingKey: CryptoKey;
  signingAlgorithm: Algorithm;
  crypto: Crypto;
}

/** What @peculiar/x509's generators need to sign with `key`. */
export function x509Signing(key: PrivateKeyHandle): X509Signing {
  const profile = signingProfile(key);
  const hash = HASH_NAMES[profile.digest];
  const algorithm = key.kind === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: { name: hash } } : { name: 'ECDSA', namedCurve: key.curve ?? 'P-256' };
  const signingKey = { type: 'private', extractable: false, algorithm, usages: ['sign'] } as unknown as CryptoKey;
  const signingAlgorithm = (key.kind === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash } : { name: 'ECDSA', hash }) as Algorithm;
  const subtle = webcrypto.subtle;
  const proxiedSubtle = new Proxy(subtle, {
    get(target, property) {
      if (property === 'sign') {
        return async (alg: Algorithm, k: CryptoKey, data: BufferSource): Promise<ArrayBuffer> => {
          if (k !== signingKey) return target.sign(alg as never, k as never, data as never);
          const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array((data as ArrayBufferView).buffer, (data as ArrayBufferView).byteOffset, (data as ArrayBufferView).byteLength);
          const signature = await key.sign(bytes, profile.scheme, profile.digest);
          const raw = profile.scheme === 'ecdsa' ? ecdsaDerToRaw(signature, COORDINATE_BYTES[key.curve ?? 'P-256']!) : signature;
          return raw.slice().buffer as ArrayBuffer;
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const crypto = {
    subtle: proxiedSubtle,
    getRandomValues: <T extends ArrayBufferView | null>(array: T): T => webcrypto.getRandomValues(array as never) as T,
    randomUUID: () => webcrypto.randomUUID(),
  } as unknown as Crypto;
  return { signingKey, signingAlgorithm, crypto };
}
