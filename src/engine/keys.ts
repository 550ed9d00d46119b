/**
 * How the engine reaches keys and certificates without owning them: the use cases pass in signers,
 * recipients and decryptors, whose private keys may live in memory, in the vault service or on a
 * PKCS#11 token. The engine never sees private key bytes of a token or vault key, only this handle.
 */

export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';
/** Digests accepted when reading: SHA-1 verifies but is reported as weak. */
export type ReadableDigestAlgorithm = DigestAlgorithm | 'sha1' | 'sha224';
export type SignatureScheme = 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'ed25519';
export type KeyKind = 'rsa' | 'ec' | 'ed25519';
export type NamedCurve = 'P-256' | 'P-384' | 'P-521';

export type KeyTransportPadding =
  /** RSAES-PKCS1-v1_5. `expectedLength` is the content-encryption key length; on bad padding an
   *  implementation returns a pseudo-random key of that length (implicit rejection), never an error. */
  | { scheme: 'rsa-pkcs1'; expectedLength: number }
  /** RSAES-OAEP. `mgf1Hash` is MGF1's digest when it differs from `hash` (RFC 4055 §4.1; Java's JCE and
   *  BouncyCastle write SHA-256 with MGF1-SHA-1); absent means MGF1 with `hash`. */
  | { scheme: 'rsa-oaep'; hash: 'sha1' | 'sha256' | 'sha384' | 'sha512'; mgf1Hash?: 'sha1' | 'sha256' | 'sha384' | 'sha512'; label?: Uint8Array };

export interface PrivateKeyHandle {
  readonly kind: KeyKind;
  readonly curve?: NamedCurve;
  /** RSA modulus size in bits. */
  readonly modulusBits?: number;
  /** False when the key cannot undo RSA-OAEP with SHA-256 (most tokens: SoftHSM2, PIV cards); absent: it can.
   *  A signer whose encryption key says false does not announce RSA-OAEP in its SMIMECapabilities. */
  readonly decryptsOaepSha256?: boolean;
  /**
   * Signs `data` (the DER of the signed attributes) with the scheme and digest given.
   * ECDSA signatures come back DER-encoded (Ecdsa-Sig-Value), as CMS carries them.
   * RSA-PSS uses MGF1 with the same digest and a salt as long as the digest (RFC 4055 §3.1).
   */
  sign(data: Uint8Array, scheme: SignatureScheme, digest: DigestAlgorithm): Promise<Uint8Array>;
  /** RSA key transport: recovers a content-encryption key. */
  decryptKeyTransport?(encryptedKey: Uint8Array, padding: KeyTransportPadding): Promise<Uint8Array>;
  /** ECDH: the raw shared secret (the x coordinate) with the originator's public key (SPKI DER). */
  deriveSharedSecret?(originatorPublicKeySpki: Uint8Array): Promise<Uint8Array>;
}

/** Who signs: a certificate, its chain (intermediates, optionally the root) and the private key. */
export interface Signer {
  /** DER of the signer's certificate. */
  certificate: Uint8Array;
  /** DER of the issuing chain, nearest issuer first; included in the SignedData. */
  chain?: Uint8Array[];
  key: PrivateKeyHandle;
  /** Default sha256. Never sha1 or md5. */
  digest?: DigestAlgorithm;
  /** For RSA keys: PKCS#1 v1.5 (default, what every client reads) or PSS. */
  rsaScheme?: 'rsa-pkcs1' | 'rsa-pss';
  /** Our encryption certificate, announced with SMIMEEncryptionKeyPreference (RFC 8551 §2.5.3). */
  encryptionCertificate?: Uint8Array;
  /** Whether SMIMECapabilities announce RSA-OAEP (SHA-256); default true. Set false when our decryption
   *  key cannot undo it — many tokens (SoftHSM2, PIV cards) do RSA-OAEP with SHA-1 only, or not at all. */
  announceRsaOaep?: boolean;
}

/** Someone to encrypt to. */
export interface Recipient {
  /** DER of the recipient's encryption certificate (RSA or EC). */
  certificate: Uint8Array;
  /** RSA key transport padding; default 'rsa-pkcs1' for widest interoperability. */
  keyTransport?: 'rsa-pkcs1' | 'rsa-oaep';
  /** How the RecipientInfo names the certificate; default issuerAndSerialNumber. */
  identifier?: 'issuerAndSerialNumber' | 'subjectKeyIdentifier';
}

/** Someone who can decrypt: a certificate and the private key behind it. */
export interface Decryptor {
  certificate: Uint8Array;
  key: PrivateKeyHandle;
}

export type ContentCipher = 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' | 'aes-128-gcm' | 'aes-256-gcm';
/** Ciphers accepted when reading old mail. */
export type ReadableContentCipher = ContentCipher | 'aes-192-gcm' | 'des-ede3-cbc' | 'rc2-cbc';
