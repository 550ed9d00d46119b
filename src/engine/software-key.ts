/**
 * A private key held in this process (read from a PKCS#12 file or the vault), behind the same
 * {@link PrivateKeyHandle} interface as token and vault-service keys.
 */
import { constants, createPublicKey, diffieHellman, privateDecrypt, sign, type KeyObject } from 'node:crypto';
import { CachetError } from '../errors.js';
import type { DigestAlgorithm, KeyTransportPadding, NamedCurve, PrivateKeyHandle, SignatureScheme } from './keys.js';
import { rsaPkcs1DecryptWithImplicitRejection } from './cms/rsa-implicit-rejection.js';
import { oaepDecryptFailed, rsaOaepDecryptWithMgf1 } from './cms/eme-oaep.js';

const CURVES: Record<string, NamedCurve> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

export function softwareKey(privateKey: KeyObject): PrivateKeyHandle {
  if (privateKey.type !== 'private') throw new CachetError('ERR_KEY_NOT_FOUND', 'a private key is needed');
  const type = privateKey.asymmetricKeyType;
  const details = privateKey.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    return {
      kind: 'rsa',
      modulusBits: details.modulusLength ?? 0,
      async sign(data: Uint8Array, scheme: SignatureScheme, digest: DigestAlgorithm) {
        if (scheme !== 'rsa-pkcs1' && scheme !== 'rsa-pss') throw unsupportedScheme(scheme, 'RSA');
        return sign(digest, data, {
          key: privateKey,
          padding: scheme === 'rsa-pss' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
          // RFC 4055 §3.1 and RFC 8551: the salt is as long as the digest (gpgsm accepts nothing else).
          saltLength: scheme === 'rsa-pss' ? constants.RSA_PSS_SALTLEN_DIGEST : undefined,
        } as Parameters<typeof sign>[2]);
      },
      async decryptKeyTransport(encryptedKey: Uint8Array, padding: KeyTransportPadding) {
        if (padding.scheme === 'rsa-oaep') {
          const mgf1Hash = padding.mgf1Hash ?? padding.hash;
          // Node's OAEP takes one digest for both the label hash and MGF1; a differing MGF1 digest is
          // decoded by hand (eme-oaep.ts), failing with the same error as Node's path.
          if (mgf1Hash !== padding.hash) return rsaOaepDecryptWithMgf1(privateKey, encryptedKey, { hash: padding.hash, mgf1Hash, ...(padding.label ? { label: padding.label } : {}) });
          try {
            return privateDecrypt(
              { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: padding.hash, ...(padding.label ? { oaepLabel: padding.label } : {}) },
              encryptedKey,
            );
          } catch (error) {
            throw oaepDecryptFailed(error);
          }
        }
        return rsaPkcs1DecryptWithImplicitRejection(privateKey, encryptedKey, padding.expectedLength);
      },
    };
  }
  if (type === 'ec') {
    const curve = CURVES[details.namedCurve ?? ''];
    if (!curve) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the EC curve ${details.namedCurve ?? '(unknown)'} is not supported`);
    return {
      kind: 'ec',
      curve,
      async sign(data: Uint8Array, scheme: SignatureScheme, digest: DigestAlgorithm) {
        if (scheme !== 'ecdsa') throw unsupportedScheme(scheme, 'EC');
        return sign(digest, data, { key: privateKey, dsaEncoding: 'der' });
      },
      async deriveSharedSecret(originatorPublicKeySpki: Uint8Array) {
        try {
          const publicKey = createPublicKey({ key: Buffer.from(originatorPublicKeySpki), format: 'der', type: 'spki' });
          return diffieHellman({ privateKey, publicKey });
        } catch (error) {
          throw new CachetError('ERR_DECRYPT_FAILED', "the originator's key does not fit this recipient's key", { cause: error });
        }
      },
    };
  }
  if (type === 'ed25519') {
    return {
      kind: 'ed25519',
      async sign(data: Uint8Array, scheme: SignatureScheme) {
        if (scheme !== 'ed25519') throw unsupportedScheme(scheme, 'Ed25519');
        return sign(null, data, privateKey);
      },
    };
  }
  if (type === 'dsa') {
    // Read and verified (old PKIs, RFC 4134), never produced: FIPS 186-5 withdrew DSA for signing.
    throw new CachetError('ERR_WEAK_ALGORITHM', 'Cachet verifies DSA signatures but never makes them (DSA is withdrawn for new signatures, FIPS 186-5): use an RSA or EC key');
  }
  throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `keys of type ${type ?? 'unknown'} are not supported`);
}

function unsupportedScheme(scheme: string, keyType: string): CachetError {
  return new CachetError('ERR_UNSUPPORTED_ALGORITHM', `a ${keyType} key cannot make ${scheme} signatures`);
}
