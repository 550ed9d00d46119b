/**
 * Content-encryption algorithms of CMS (RFC 3565 AES-CBC, RFC 5084 AES-GCM, RFC 3370 3DES), their
 * AlgorithmIdentifiers both ways, and streaming ciphers over Node's crypto.
 */
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { CachetError } from '../../errors.js';
import type { ContentCipher, ReadableContentCipher } from '../keys.js';
import { OID } from '../oids.js';
import { objectIdentifier, octetString, sequence, smallInteger } from '../asn1/ber-writer.js';
import { derChildren, derContent, derInteger, derNode, derOid } from './der-walk.js';
import { rc2CbcDecrypt } from '../pkcs12/rc2.js';

interface CipherInfo {
  oid: string;
  nodeName: string;
  keyLength: number;
  mode: 'cbc' | 'gcm';
}

const CIPHERS: Record<ReadableContentCipher, CipherInfo | undefined> = {
  'aes-128-cbc': { oid: OID.aes128_CBC, nodeName: 'aes-128-cbc', keyLength: 16, mode: 'cbc' },
  'aes-192-cbc': { oid: OID.aes192_CBC, nodeName: 'aes-192-cbc', keyLength: 24, mode: 'cbc' },
  'aes-256-cbc': { oid: OID.aes256_CBC, nodeName: 'aes-256-cbc', keyLength: 32, mode: 'cbc' },
  'aes-128-gcm': { oid: OID.aes128_GCM, nodeName: 'aes-128-gcm', keyLength: 16, mode: 'gcm' },
  'aes-192-gcm': { oid: OID.aes192_GCM, nodeName: 'aes-192-gcm', keyLength: 24, mode: 'gcm' },
  'aes-256-gcm': { oid: OID.aes256_GCM, nodeName: 'aes-256-gcm', keyLength: 32, mode: 'gcm' },
  'des-ede3-cbc': { oid: OID.des_ede3_cbc, nodeName: 'des-ede3-cbc', keyLength: 24, mode: 'cbc' },
  // RC2 is not in Node 20's default provider: old mail (RFC 4134 §5.2) is read with src/engine/pkcs12/rc2.ts.
  'rc2-cbc': { oid: OID.rc2_cbc, nodeName: 'rc2-cbc', keyLength: 16, mode: 'cbc' },
};

/** GCM tag length written (RFC 5084 allows 12–16; 16 is what OpenSSL writes). */
const GCM_TAG_LENGTH = 16;
const GCM_NONCE_LENGTH = 12;

export function isAuthenticatedCipher(cipher: ReadableContentCipher): boolean {
  return CIPHERS[cipher]?.mode === 'gcm';
}

export function contentKeyLength(cipher: ReadableContentCipher): number {
  const info = CIPHERS[cipher];
  if (!info) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the content cipher ${cipher} is not supported`);
  return info.keyLength;
}

export interface ContentEncryptionParameters {
  cipher: ReadableContentCipher;
  /** RC2 only: the effective key bits (RFC 8018 §B.2.3). */
  rc2EffectiveBits?: number;
  /** CBC: the IV; GCM: the nonce. */
  iv: Buffer;
  /** GCM only: the tag length. */
  tagLength?: number;
}

export function newParameters(cipher: ContentCipher): ContentEncryptionParameters {
  const info = CIPHERS[cipher]!;
  return info.mode === 'gcm' ? { cipher, iv: randomBytes(GCM_NONCE_LENGTH), tagLength: GCM_TAG_LENGTH } : { cipher, iv: randomBytes(16) };
}

/** ContentEncryptionAlgorithmIdentifier: CBC carries the IV; GCM carries GCMParameters (RFC 5084 §3.2). */
export function encodeContentEncryptionAlgorithm(parameters: ContentEncryptionParameters): Buffer {
  const info = CIPHERS[parameters.cipher]!;
  if (info.mode === 'gcm') {
    return sequence(objectIdentifier(info.oid), sequence(octetString(parameters.iv), smallInteger(parameters.tagLength ?? GCM_TAG_LENGTH)));
  }
  return sequence(objectIdentifier(info.oid), octetString(parameters.iv));
}

export function decodeContentEncryptionAlgorithm(der: Uint8Array): ContentEncryptionParameters {
  const root = derNode(der);
  const [oidNode, paramsNode] = derChildren(der, root);
  if (!oidNode) throw new CachetError('ERR_CMS_MALFORMED', 'the content encryption algorithm is missing');
  const oid = derOid(der, oidNode);
  const entry = (Object.entries(CIPHERS) as Array<[ReadableContentCipher, CipherInfo | undefined]>).find(([, info]) => info?.oid === oid);
  if (oid === OID.rc2_cbc && paramsNode) return decodeRc2Parameters(der, paramsNode);
  if (!entry || !paramsNode) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the content encryption algorithm ${oid} is not supported`);
  const [cipher, info] = entry as [ReadableContentCipher, CipherInfo];
  if (info.mode === 'gcm') {
    const [nonce, icvLength] = derChildren(der, paramsNode);
    if (!nonce) throw new CachetError('ERR_CMS_MALFORMED', 'the GCM parameters have no nonce');
    const tagLength = icvLength ? derInteger(der, icvLength) : 12;
    if (tagLength < 12 || tagLength > 16) throw new CachetError('ERR_WEAK_ALGORITHM', `a GCM tag of ${tagLength} bytes is refused`);
    return { cipher, iv: Buffer.from(derContent(der, nonce)), tagLength };
  }
  const iv = Buffer.from(derContent(der, paramsNode));
  if (iv.length !== (cipher === 'des-ede3-cbc' ? 8 : 16)) throw new CachetError('ERR_CMS_MALFORMED', 'the IV has the wrong length');
  return { cipher, iv };
}

/** RC2-CBC-Parameter ::= SEQUENCE { rc2ParameterVersion INTEGER, iv OCTET STRING } (RFC 8018 §B.2.3). */
function decodeRc2Parameters(der: Uint8Array, params: ReturnType<typeof derNode>): ContentEncryptionParameters {
  const [versionNode, ivNode] = derChildren(der, params);
  if (!versionNode || !ivNode) throw new CachetError('ERR_CMS_MALFORMED', 'the RC2 parameters are incomplete');
  const version = derInteger(der, versionNode);
  const bits = version === 160 ? 40 : version === 120 ? 64 : version === 58 ? 128 : version >= 256 ? version : 0;
  if (bits < 40) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'the RC2 key size is not supported');
  return { cipher: 'rc2-cbc', iv: Buffer.from(derContent(der, ivNode)), rc2EffectiveBits: bits };
}

/** The content-encryption key length a message needs (RC2: from its effective key bits). */
export function contentKeyLengthOf(parameters: ContentEncryptionParameters): number {
  return parameters.cipher === 'rc2-cbc' ? Math.ceil((parameters.rc2EffectiveBits ?? 128) / 8) : contentKeyLength(parameters.cipher);
}

/** RC2 content is decrypted whole (old, small mail only): bounded. */
const MAX_RC2_CONTENT = 16 * 1024 * 1024;

function rc2Decryptor(parameters: ContentEncryptionParameters, key: Uint8Array): StreamingDecryptor {
  const parts: Buffer[] = [];
  let size = 0;
  return {
    update: (chunk) => {
      size += chunk.length;
      if (size > MAX_RC2_CONTENT) throw new CachetError('ERR_LIMIT_EXCEEDED', 'RC2-encrypted content larger than 16 MiB is refused');
      parts.push(Buffer.from(chunk));
      return Buffer.alloc(0);
    },
    final: () => {
      const plain = rc2CbcDecrypt(key, parameters.rc2EffectiveBits ?? 128, parameters.iv, Buffer.concat(parts));
      if (!plain) throw decryptFailed();
      return plain;
    },
  };
}

export interface StreamingEncryptor {
  update(chunk: Uint8Array): Buffer;
  final(): Buffer;
  /** GCM: the tag, after final(). */
  tag(): Buffer | undefined;
}

export function createContentEncryptor(parameters: ContentEncryptionParameters, key: Buffer): StreamingEncryptor {
  const info = CIPHERS[parameters.cipher]!;
  if (info.mode === 'gcm') {
    const cipher = createCipheriv(info.nodeName as 'aes-256-gcm', key, parameters.iv, { authTagLength: parameters.tagLength ?? GCM_TAG_LENGTH }) as CipherGCM;
    return { update: (c) => cipher.update(c), final: () => cipher.final(), tag: () => cipher.getAuthTag() };
  }
  const cipher = createCipheriv(info.nodeName, key, parameters.iv);
  return { update: (c) => cipher.update(c), final: () => cipher.final(), tag: () => undefined };
}

export interface StreamingDecryptor {
  update(chunk: Uint8Array): Buffer;
  /** Throws ERR_DECRYPT_FAILED (CBC padding) or ERR_AUTH_TAG_INVALID (GCM). */
  final(tag?: Uint8Array): Buffer;
}

export function createContentDecryptor(parameters: ContentEncryptionParameters, key: Uint8Array): StreamingDecryptor {
  const info = CIPHERS[parameters.cipher];
  if (!info) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the content cipher ${parameters.cipher} is not supported`);
  if (parameters.cipher === 'rc2-cbc') return rc2Decryptor(parameters, key);
  if (key.length !== info.keyLength) throw decryptFailed();
  if (info.mode === 'gcm') {
    const decipher = createDecipheriv(info.nodeName as 'aes-256-gcm', key, parameters.iv, { authTagLength: parameters.tagLength ?? GCM_TAG_LENGTH }) as DecipherGCM;
    return {
      update: (c) => decipher.update(c),
      final: (tag) => {
        if (!tag || tag.length !== (parameters.tagLength ?? GCM_TAG_LENGTH)) throw new CachetError('ERR_AUTH_TAG_INVALID', 'the encrypted message failed its integrity check: it was altered or is incomplete');
        decipher.setAuthTag(tag);
        try {
          return decipher.final();
        } catch (error) {
          throw new CachetError('ERR_AUTH_TAG_INVALID', 'the encrypted message failed its integrity check: it was altered or is incomplete', { cause: error });
        }
      },
    };
  }
  const decipher = createDecipheriv(info.nodeName, key, parameters.iv);
  return {
    update: (c) => decipher.update(c),
    final: () => {
      try {
        return decipher.final();
      } catch (error) {
        // Wrong key and bad PKCS#1 padding (implicit rejection) both end here, identically.
        throw decryptFailed(error);
      }
    },
  };
}

export function decryptFailed(cause?: unknown): CachetError {
  return new CachetError('ERR_DECRYPT_FAILED', 'the message could not be decrypted: wrong key, or the content is damaged', cause === undefined ? {} : { cause });
}
