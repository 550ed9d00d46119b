/**
 * Digest and signature AlgorithmIdentifiers of SignerInfo, both ways (RFC 5652 §10.1, RFC 5754,
 * RFC 4055 for RSA-PSS, RFC 5758 for ECDSA, RFC 8419 for Ed25519, RFC 3370 for DSA).
 *
 * Writing: SHA-256/384/512 only; Cachet never signs with SHA-1 or MD5. Reading: SHA-1 and SHA-224 are
 * accepted and SHA-1 is reported as weak (policy decides), MD5 is refused; DSA verifies only.
 */
import { constants, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { CachetError } from '../../errors.js';
import type { DigestAlgorithm, PrivateKeyHandle, ReadableDigestAlgorithm, SignatureScheme, Signer } from '../keys.js';
import { OID } from '../oids.js';
import { cmsMalformed, derChildren, derInteger, derNode, derOid, derTlv } from './der-walk.js';
import { objectIdentifier, smallInteger } from '../asn1/ber-writer.js';

const DIGEST_OIDS: Record<ReadableDigestAlgorithm, string> = {
  sha1: OID.id_sha1,
  sha224: OID.id_sha224,
  sha256: OID.id_sha256,
  sha384: OID.id_sha384,
  sha512: OID.id_sha512,
};
const DIGEST_BY_OID = new Map<string, ReadableDigestAlgorithm>(Object.entries(DIGEST_OIDS).map(([k, v]) => [v, k as ReadableDigestAlgorithm]));

/** Digest lengths in octets, as PSS salts follow them. */
export const DIGEST_LENGTH: Record<ReadableDigestAlgorithm, number> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

/** RFC 8551 §3.5.3 micalg names. */
export const MICALG: Record<ReadableDigestAlgorithm, string> = {
  sha1: 'sha-1',
  sha224: 'sha-224',
  sha256: 'sha-256',
  sha384: 'sha-384',
  sha512: 'sha-512',
};

export function isWeakDigest(digest: ReadableDigestAlgorithm): boolean {
  return digest === 'sha1';
}

/** Reads a micalg value ("sha-256", "SHA256", "sha1", an OID…) into a digest name, if known. */
export function digestFromMicalg(value: string): ReadableDigestAlgorithm | undefined {
  const v = value.trim().toLowerCase().replace(/^"|"$/g, '');
  const byOid = DIGEST_BY_OID.get(v);
  if (byOid) return byOid;
  const m = /^(?:rsa-)?sha-?(1|224|256|384|512)$/.exec(v);
  return m ? (`sha${m[1]}` as ReadableDigestAlgorithm) : undefined;
}

/** DER AlgorithmIdentifier of a digest, parameters absent (RFC 5754 §2: "SHOULD be absent"). */
export function digestAlgorithmIdentifier(digest: DigestAlgorithm | ReadableDigestAlgorithm): Buffer {
  return derTlv(0x30, objectIdentifier(DIGEST_OIDS[digest]));
}

/** Reads a digest AlgorithmIdentifier (parameters absent or NULL). */
export function parseDigestAlgorithm(der: Uint8Array): ReadableDigestAlgorithm {
  const node = derNode(der);
  if (node.tag !== 0x30) throw cmsMalformed('a digest AlgorithmIdentifier is not a SEQUENCE');
  const [id] = derChildren(der, node);
  if (!id) throw cmsMalformed('a digest AlgorithmIdentifier is empty');
  return digestByOid(derOid(der, id));
}

export function digestByOid(oid: string): ReadableDigestAlgorithm {
  const digest = DIGEST_BY_OID.get(oid);
  if (digest) return digest;
  if (oid === OID.id_md5) throw new CachetError('ERR_WEAK_ALGORITHM', 'the signature uses the MD5 digest, which is broken and not accepted');
  throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the digest algorithm ${oid} is not supported`);
}

// ---------------------------------------------------------------------------------------------------
// Signature algorithms

export type ReadableSignatureScheme = SignatureScheme | 'dsa';

/** What a SignerInfo's signatureAlgorithm says, in a form node:crypto can check. */
export interface SignatureAlgorithm {
  scheme: ReadableSignatureScheme;
  /** The hash the signature is made over; null for Ed25519 (PureEdDSA signs the attributes as they are). */
  hash: ReadableDigestAlgorithm | null;
  /** RSA-PSS: salt length in octets. */
  saltLength?: number;
  /** A name for reports, e.g. "rsa-pkcs1-sha256", "rsa-pss-sha256", "ecdsa-sha384", "ed25519". */
  name: string;
}

/** The scheme a signer signs with: from its key and its RSA preference. */
export function schemeFor(signer: Signer): SignatureScheme {
  const key: PrivateKeyHandle = signer.key;
  if (key.kind === 'ec') return 'ecdsa';
  if (key.kind === 'ed25519') return 'ed25519';
  return signer.rsaScheme ?? 'rsa-pkcs1';
}

/** The digest a signer uses: its choice, SHA-512 for Ed25519 (RFC 8419 §3). Never SHA-1 or MD5. */
export function digestFor(signer: Signer): DigestAlgorithm {
  const digest = signer.digest ?? (signer.key.kind === 'ed25519' ? 'sha512' : defaultDigestFor(signer.key));
  if (!(digest in { sha256: 1, sha384: 1, sha512: 1 })) {
    throw new CachetError('ERR_WEAK_ALGORITHM', `Cachet does not sign with ${String(digest)}; use sha256, sha384 or sha512`);
  }
  if (signer.key.kind === 'ed25519' && digest !== 'sha512') {
    throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'Ed25519 signatures in CMS use SHA-512 (RFC 8419)');
  }
  return digest;
}

/** Match the digest to the curve's strength (RFC 5753 / SP 800-57), SHA-256 otherwise. */
function defaultDigestFor(key: PrivateKeyHandle): DigestAlgorithm {
  if (key.kind === 'ec' && key.curve === 'P-384') return 'sha384';
  if (key.kind === 'ec' && key.curve === 'P-521') return 'sha512';
  return 'sha256';
}

const ECDSA_OIDS: Record<DigestAlgorithm, string> = {
  sha256: OID.ecdsa_with_SHA256,
  sha384: OID.ecdsa_with_SHA384,
  sha512: OID.ecdsa_with_SHA512,
};

const NULL = Buffer.from([0x05, 0x00]);

function hashAlgorithmWithNull(digest: ReadableDigestAlgorithm): Buffer {
  return derTlv(0x30, objectIdentifier(DIGEST_OIDS[digest]), NULL);
}

/** DER RSASSA-PSS-params: hash, MGF1 with the same hash, salt as long as the digest (RFC 4055 §3.1). */
export function pssParameters(digest: DigestAlgorithm): Buffer {
  return derTlv(
    0x30,
    derTlv(0xa0, hashAlgorithmWithNull(digest)),
    derTlv(0xa1, derTlv(0x30, objectIdentifier(OID.id_mgf1), hashAlgorithmWithNull(digest))),
    derTlv(0xa2, smallInteger(DIGEST_LENGTH[digest])),
  );
}

/** DER signatureAlgorithm for a SignerInfo we write. */
export function signatureAlgorithmIdentifier(scheme: SignatureScheme, digest: DigestAlgorithm): Buffer {
  switch (scheme) {
    case 'rsa-pkcs1':
      // rsaEncryption with NULL, as OpenSSL, NSS and Outlook write it (RFC 3370 §3.2 allows both forms).
      return derTlv(0x30, objectIdentifier(OID.rsaEncryption), NULL);
    case 'rsa-pss':
      return derTlv(0x30, objectIdentifier(OID.id_RSASSA_PSS), pssParameters(digest));
    case 'ecdsa':
      return derTlv(0x30, objectIdentifier(ECDSA_OIDS[digest]));
    case 'ed25519':
      return derTlv(0x30, objectIdentifier(OID.id_Ed25519));
  }
}

const RSA_WITH: Record<string, ReadableDigestAlgorithm> = {
  [OID.sha1WithRSAEncryption]: 'sha1',
  [OID.sha224WithRSAEncryption]: 'sha224',
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.sha384WithRSAEncryption]: 'sha384',
  [OID.sha512WithRSAEncryption]: 'sha512',
};
const ECDSA_WITH: Record<string, ReadableDigestAlgorithm> = {
  [OID.ecdsa_with_SHA1]: 'sha1',
  [OID.ecdsa_with_SHA224]: 'sha224',
  [OID.ecdsa_with_SHA256]: 'sha256',
  [OID.ecdsa_with_SHA384]: 'sha384',
  [OID.ecdsa_with_SHA512]: 'sha512',
};

/**
 * Reads a SignerInfo's signatureAlgorithm. `digest` is the SignerInfo's digestAlgorithm, which is the
 * hash for the "bare key" OIDs (rsaEncryption, id-ecPublicKey, id-dsa) that many producers write.
 */
export function parseSignatureAlgorithm(der: Uint8Array, digest: ReadableDigestAlgorithm): SignatureAlgorithm {
  const node = derNode(der);
  if (node.tag !== 0x30) throw cmsMalformed('a signature AlgorithmIdentifier is not a SEQUENCE');
  const [id, params] = derChildren(der, node);
  if (!id) throw cmsMalformed('a signature AlgorithmIdentifier is empty');
  const oid = derOid(der, id);
  if (oid === OID.rsaEncryption) return { scheme: 'rsa-pkcs1', hash: digest, name: `rsa-pkcs1-${digest}` };
  if (RSA_WITH[oid]) return { scheme: 'rsa-pkcs1', hash: RSA_WITH[oid]!, name: `rsa-pkcs1-${RSA_WITH[oid]}` };
  if (oid === OID.id_ecPublicKey) return { scheme: 'ecdsa', hash: digest, name: `ecdsa-${digest}` };
  if (ECDSA_WITH[oid]) return { scheme: 'ecdsa', hash: ECDSA_WITH[oid]!, name: `ecdsa-${ECDSA_WITH[oid]}` };
  if (oid === OID.id_Ed25519) return { scheme: 'ed25519', hash: null, name: 'ed25519' };
  if (oid === OID.id_dsa || oid === OID.id_dsa_with_sha1) {
    const hash = oid === OID.id_dsa_with_sha1 ? 'sha1' : digest;
    return { scheme: 'dsa', hash, name: `dsa-${hash}` };
  }
  if (oid === OID.id_dsa_with_sha256) return { scheme: 'dsa', hash: 'sha256', name: 'dsa-sha256' };
  if (oid === OID.id_RSASSA_PSS) return parsePss(der, params);
  if (oid === OID.md5WithRSAEncryption) throw new CachetError('ERR_WEAK_ALGORITHM', 'the signature uses MD5, which is broken and not accepted');
  throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the signature algorithm ${oid} is not supported`);
}

function parsePss(der: Uint8Array, params: ReturnType<typeof derNode> | undefined): SignatureAlgorithm {
  // RFC 4055 §3.1 defaults: SHA-1, MGF1-SHA-1, salt 20, trailer 1.
  let hash: ReadableDigestAlgorithm = 'sha1';
  let mgfHash: ReadableDigestAlgorithm = 'sha1';
  let saltLength = 20;
  if (params && params.tag === 0x30) {
    for (const field of derChildren(der, params)) {
      const [inner] = derChildren(der, field);
      if (!inner) throw cmsMalformed('RSASSA-PSS parameters are malformed');
      if (field.tag === 0xa0) hash = digestByOid(derOid(der, derChildren(der, inner)[0]!));
      else if (field.tag === 0xa1) {
        const [mgfId, mgfParams] = derChildren(der, inner);
        if (!mgfId || derOid(der, mgfId) !== OID.id_mgf1) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'RSA-PSS with a mask generation function other than MGF1 is not supported');
        if (mgfParams) mgfHash = digestByOid(derOid(der, derChildren(der, mgfParams)[0]!));
      } else if (field.tag === 0xa2) saltLength = derInteger(der, inner);
      else if (field.tag === 0xa3) {
        if (derInteger(der, inner) !== 1) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'RSA-PSS with a trailer field other than 1 is not supported');
      }
    }
  } else if (params && params.tag !== 0x05) {
    throw cmsMalformed('RSASSA-PSS parameters are malformed');
  }
  if (mgfHash !== hash) {
    // node:crypto (OpenSSL's EVP API through Node) uses MGF1 with the signature's hash.
    throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `RSA-PSS with MGF1-${mgfHash} over ${hash} is not supported`);
  }
  return { scheme: 'rsa-pss', hash, saltLength, name: `rsa-pss-${hash}` };
}

// ---------------------------------------------------------------------------------------------------

const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_SIZE = 256;

/** A public key from SPKI DER, cached: the same few signers come back message after message. */
export function publicKeyFromSpki(spki: Uint8Array): KeyObject {
  const cacheKey = Buffer.from(spki).toString('latin1');
  let key = keyCache.get(cacheKey);
  if (!key) {
    try {
      key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    } catch (error) {
      throw new CachetError('ERR_CERT_MALFORMED', "the signer's public key could not be read", { cause: error });
    }
    if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value!);
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** Checks a signature over `data` (the DER of the signed attributes, or the content). */
export function verifySignatureBytes(publicKey: KeyObject, algorithm: SignatureAlgorithm, data: Uint8Array, signature: Uint8Array): boolean {
  const keyType = publicKey.asymmetricKeyType;
  const fits =
    (algorithm.scheme === 'rsa-pkcs1' && keyType === 'rsa') ||
    (algorithm.scheme === 'rsa-pss' && (keyType === 'rsa' || keyType === 'rsa-pss')) ||
    (algorithm.scheme === 'ecdsa' && keyType === 'ec') ||
    (algorithm.scheme === 'ed25519' && keyType === 'ed25519') ||
    (algorithm.scheme === 'dsa' && keyType === 'dsa');
  if (!fits) {
    throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `a ${algorithm.name} signature cannot be made by a ${keyType ?? 'unknown'} key`);
  }
  try {
    switch (algorithm.scheme) {
      case 'rsa-pkcs1':
        return cryptoVerify(algorithm.hash, data, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'rsa-pss':
        return cryptoVerify(algorithm.hash, data, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.saltLength }, signature);
      case 'ecdsa':
      case 'dsa':
        return cryptoVerify(algorithm.hash, data, { key: publicKey, dsaEncoding: 'der' }, signature);
      case 'ed25519':
        return cryptoVerify(null, data, publicKey, signature);
    }
  } catch {
    // A malformed signature value (wrong length, bad DER) is a signature that does not verify.
    return false;
  }
}
