/**
 * Key pairs Cachet makes: for CA keys and for users who enrol without a CSR. Made with Node's own
 * generator (OpenSSL underneath); the public key travels as SPKI DER, the private one as a KeyObject.
 */
import { createPublicKey, generateKeyPair as generateKeyPairCallback, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { CachetError } from '../../errors.js';
import type { KeyType } from './ca-store.js';
import type { PublicKeyFacts } from './templates.js';

const generateKeyPair = promisify(generateKeyPairCallback);

export interface GeneratedKeyPair {
  privateKey: KeyObject;
  /** SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
}

export function parseKeyType(value: string): KeyType {
  const normalised = value.toLowerCase();
  if (['rsa-2048', 'rsa-3072', 'rsa-4096', 'ec-p256', 'ec-p384'].includes(normalised)) return normalised as KeyType;
  throw new CachetError('ERR_USAGE', `--key must be one of rsa-2048, rsa-3072, rsa-4096, ec-p256, ec-p384 (not "${value}")`);
}

export async function generateKeyPairOf(type: KeyType): Promise<GeneratedKeyPair> {
  const { privateKey } = type.startsWith('rsa-')
    ? await generateKeyPair('rsa', { modulusLength: Number(type.slice(4)), publicExponent: 0x10001 })
    : await generateKeyPair('ec', { namedCurve: type === 'ec-p256' ? 'prime256v1' : 'secp384r1' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return { privateKey, spki: new Uint8Array(spki) };
}

const CURVE_NAMES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521', secp224r1: 'P-224', prime192v1: 'P-192' };

/** Family and size of a public key (SPKI DER), for template checks. */
export function publicKeyFacts(spki: Uint8Array): PublicKeyFacts {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (error) {
    throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'the public key could not be read (unknown algorithm or damaged)', { cause: error });
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return { kind: 'rsa', bits: details.modulusLength ?? 0 };
  if (key.asymmetricKeyType === 'ec') {
    const curve = details.namedCurve ?? '';
    return { kind: 'ec', curve: CURVE_NAMES[curve] ?? curve };
  }
  return { kind: 'other' };
}
