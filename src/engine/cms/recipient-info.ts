/**
 * RecipientInfos (RFC 5652 §6.2): key transport for RSA recipients (RSAES-PKCS1-v1_5, RSAES-OAEP per
 * RFC 8017 / RFC 4055) and key agreement for EC recipients (ECDH dhSinglePass-stdDH with the ANSI
 * X9.63 KDF and AES key wrap, RFC 5753). Written and read here with the DER walker because each is a
 * few dozen bytes whose exact form the oracles check.
 */
import { createCipheriv, createDecipheriv, createHash, createPublicKey, diffieHellman, generateKeyPairSync, publicEncrypt, constants } from 'node:crypto';
import { CachetError } from '../../errors.js';
import type { Decryptor, Recipient } from '../keys.js';
import { OID } from '../oids.js';
import { explicitContext, objectIdentifier, octetString, sequence, smallInteger, tlv } from '../asn1/ber-writer.js';
import { TagClass } from '../asn1/ber-reader.js';
import { certificateMatches, certificateSubject, nameDerToString, decodeIdentifier, encodeIdentifier, identifierOfCertificate, subjectPublicKeyInfo, type CertificateIdentifier } from './cert-id.js';
import { derBytes, derChildren, derContent, derNode, derOid, type DerNode } from './der-walk.js';

export type KeyManagement = 'rsa' | 'rsa-oaep' | 'ecdh';

type OaepHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';
const HASH_OIDS: Record<string, OaepHash | 'sha224'> = {
  [OID.id_sha1]: 'sha1',
  [OID.id_sha224]: 'sha224',
  [OID.id_sha256]: 'sha256',
  [OID.id_sha384]: 'sha384',
  [OID.id_sha512]: 'sha512',
};
/**
 * Key agreement schemes read, by their KDF hash. The cofactor variants (BouncyCastle's and MimeKit's
 * ECCDH choices, OpenSSL's ecdh_cofactor_mode) agree on the same secret here: every curve accepted
 * (P-256, P-384, P-521) has cofactor 1, so multiplying by it changes nothing. Cachet writes stdDH.
 */
const KDF_HASH: Record<string, 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512'> = {
  [OID.dhSinglePass_stdDH_sha1kdf_scheme]: 'sha1',
  [OID.dhSinglePass_stdDH_sha224kdf_scheme]: 'sha224',
  [OID.dhSinglePass_stdDH_sha256kdf_scheme]: 'sha256',
  [OID.dhSinglePass_stdDH_sha384kdf_scheme]: 'sha384',
  [OID.dhSinglePass_stdDH_sha512kdf_scheme]: 'sha512',
  [OID.dhSinglePass_cofactorDH_sha1kdf_scheme]: 'sha1',
  [OID.dhSinglePass_cofactorDH_sha224kdf_scheme]: 'sha224',
  [OID.dhSinglePass_cofactorDH_sha256kdf_scheme]: 'sha256',
  [OID.dhSinglePass_cofactorDH_sha384kdf_scheme]: 'sha384',
  [OID.dhSinglePass_cofactorDH_sha512kdf_scheme]: 'sha512',
};
const WRAP: Record<string, { nodeName: string; keyLength: number }> = {
  [OID.aes128_wrap]: { nodeName: 'id-aes128-wrap', keyLength: 16 },
  [OID.aes192_wrap]: { nodeName: 'id-aes192-wrap', keyLength: 24 },
  [OID.aes256_wrap]: { nodeName: 'id-aes256-wrap', keyLength: 32 },
};
const CURVE_OIDS: Record<string, string> = { [OID.secp256r1]: 'prime256v1', [OID.secp384r1]: 'secp384r1', [OID.secp521r1]: 'secp521r1' };
/** RFC 3394 default IV. */
const KEY_WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

interface PublicKeyInfo {
  algorithm: string;
  curveOid?: string;
  spki: Uint8Array;
}

function publicKeyInfo(certificate: Uint8Array): PublicKeyInfo {
  const spki = subjectPublicKeyInfo(certificate);
  const root = derNode(spki);
  const [algorithmNode] = derChildren(spki, root);
  const [oidNode, paramsNode] = algorithmNode ? derChildren(spki, algorithmNode) : [];
  if (!oidNode) throw new CachetError('ERR_CERT_MALFORMED', 'the certificate has no public key algorithm');
  const algorithm = derOid(spki, oidNode);
  const curveOid = paramsNode && paramsNode.tag === 0x06 ? derOid(spki, paramsNode) : undefined;
  return { algorithm, spki, ...(curveOid ? { curveOid } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Builds one RecipientInfo for `recipient` carrying `contentKey`. */
export function buildRecipientInfo(recipient: Recipient, contentKey: Buffer): { der: Buffer; version: number } {
  const key = publicKeyInfo(recipient.certificate);
  const identifier = identifierOfCertificate(recipient.certificate, recipient.identifier ?? 'issuerAndSerialNumber');
  if (key.algorithm === OID.rsaEncryption || key.algorithm === OID.id_RSAES_OAEP) return buildKeyTransport(recipient, identifier, key, contentKey);
  if (key.algorithm === OID.id_ecPublicKey) return buildKeyAgreement(identifier, key, contentKey);
  throw new CachetError('ERR_RECIPIENT_KEY_UNSUITABLE', `the certificate of ${certificateSubject(recipient.certificate)} has a key that cannot receive encrypted mail`);
}

function buildKeyTransport(recipient: Recipient, identifier: CertificateIdentifier, key: PublicKeyInfo, contentKey: Buffer): { der: Buffer; version: number } {
  const publicKey = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
  const oaep = recipient.keyTransport === 'rsa-oaep';
  let encryptedKey: Buffer;
  let algorithm: Buffer;
  if (oaep) {
    encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, contentKey);
    // RSAES-OAEP-params with SHA-256 and MGF1-SHA-256 (RFC 4055 §4.1; hash parameters absent).
    const sha256 = sequence(objectIdentifier(OID.id_sha256));
    algorithm = sequence(objectIdentifier(OID.id_RSAES_OAEP), sequence(explicitContext(0, sha256), explicitContext(1, sequence(objectIdentifier(OID.id_mgf1), sha256))));
  } else {
    // PKCS#1 v1.5 encryption is still allowed by Node (only decryption is refused) and is what every
    // client reads; the padding oracle concerns the receiving side, handled by implicit rejection.
    encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, contentKey);
    algorithm = sequence(objectIdentifier(OID.rsaEncryption), Buffer.from([0x05, 0x00]));
  }
  const version = identifier.kind === 'subjectKeyIdentifier' ? 2 : 0;
  return { der: sequence(smallInteger(version), encodeIdentifier(identifier), algorithm, octetString(encryptedKey)), version };
}

function kdfHashForCurve(curveOid: string): { scheme: string; hash: 'sha256' | 'sha384' } {
  return curveOid === OID.secp256r1
    ? { scheme: OID.dhSinglePass_stdDH_sha256kdf_scheme, hash: 'sha256' }
    : { scheme: OID.dhSinglePass_stdDH_sha384kdf_scheme, hash: 'sha384' };
}

/** ANSI X9.63 KDF over ECC-CMS-SharedInfo (RFC 5753 §7.2). */
function x963Kdf(hash: string, sharedSecret: Uint8Array, sharedInfo: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let total = 0;
  for (let counter = 1; total < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(sharedSecret).update(c).update(sharedInfo).digest();
    out.push(block);
    total += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/**
 * ECC-CMS-SharedInfo. entityUInfo is present only when the sender supplied a UKM: an absent UKM must
 * not be encoded as an empty OCTET STRING (the PKI.js bug that breaks decryption of OpenSSL mail).
 */
function sharedInfo(wrapAlgorithm: Buffer, ukm: Uint8Array | undefined, keyLength: number): Buffer {
  const bits = Buffer.alloc(4);
  bits.writeUInt32BE(keyLength * 8);
  return sequence(wrapAlgorithm, ...(ukm ? [explicitContext(0, octetString(ukm))] : []), explicitContext(2, octetString(bits)));
}

function buildKeyAgreement(identifier: CertificateIdentifier, key: PublicKeyInfo, contentKey: Buffer): { der: Buffer; version: number } {
  const curveName = key.curveOid ? CURVE_OIDS[key.curveOid] : undefined;
  if (!curveName || !key.curveOid) throw new CachetError('ERR_RECIPIENT_KEY_UNSUITABLE', 'the recipient uses an EC curve Cachet cannot encrypt to');
  const { scheme, hash } = kdfHashForCurve(key.curveOid);
  const ephemeral = generateKeyPairSync('ec', { namedCurve: curveName });
  const recipientKey = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
  const z = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipientKey });
  const wrapOid = OID.aes256_wrap;
  const wrapAlgorithm = sequence(objectIdentifier(wrapOid));
  const kek = x963Kdf(hash, z, sharedInfo(wrapAlgorithm, undefined, 32), 32);
  const wrapped = aesKeyWrap(kek, contentKey);
  const ephemeralSpki = ephemeral.publicKey.export({ format: 'der', type: 'spki' });
  const spkiRoot = derNode(ephemeralSpki);
  const [, bitString] = derChildren(ephemeralSpki, spkiRoot);
  // OriginatorPublicKey: id-ecPublicKey with absent parameters, and the point (RFC 5753 §3.1.1).
  const originatorKey = tlv(TagClass.context, 1, true, Buffer.concat([sequence(objectIdentifier(OID.id_ecPublicKey)), Buffer.from(derBytes(ephemeralSpki, bitString!))]));
  const rid = identifier.kind === 'subjectKeyIdentifier' ? tlv(TagClass.context, 0, true, octetString(identifier.keyIdentifier)) : encodeIdentifier(identifier);
  const der = tlv(
    TagClass.context,
    1,
    true,
    Buffer.concat([
      smallInteger(3),
      explicitContext(0, originatorKey),
      sequence(objectIdentifier(scheme), wrapAlgorithm),
      sequence(sequence(rid, octetString(wrapped))),
    ]),
  );
  return { der, version: 3 };
}

function aesKeyWrap(kek: Buffer, key: Buffer): Buffer {
  const cipher = createCipheriv(`id-aes${kek.length * 8}-wrap`, kek, KEY_WRAP_IV);
  return Buffer.concat([cipher.update(key), cipher.final()]);
}

function aesKeyUnwrap(nodeName: string, kek: Buffer, wrapped: Uint8Array): Buffer {
  try {
    const decipher = createDecipheriv(nodeName, kek, KEY_WRAP_IV);
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch (error) {
    throw new CachetError('ERR_DECRYPT_FAILED', 'the message could not be decrypted: wrong key, or the content is damaged', { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface RecipientEntry {
  keyManagement: KeyManagement;
  identifier: CertificateIdentifier | undefined;
  /** Recovers the content key with a decryptor whose certificate matches `identifier`. */
  unwrap(decryptor: Decryptor, contentKeyLength: number): Promise<Uint8Array>;
}

function describeIdentifier(id: CertificateIdentifier | undefined): Record<string, string> {
  if (!id) return {};
  return id.kind === 'issuerAndSerialNumber'
    ? { issuer: nameDerToString(id.issuer), serialNumber: Buffer.from(id.serialNumber).toString('hex') }
    : { subjectKeyIdentifier: Buffer.from(id.keyIdentifier).toString('hex') };
}

export function recipientDescription(entry: RecipientEntry): Record<string, string> {
  return describeIdentifier(entry.identifier);
}

/** Parses the content of a RecipientInfos SET into entries. */
export function parseRecipientInfos(setDer: Uint8Array): RecipientEntry[] {
  const root = derNode(setDer);
  return derChildren(setDer, root).flatMap((node) => parseRecipientInfo(setDer, node));
}

function parseRecipientInfo(buf: Uint8Array, node: DerNode): RecipientEntry[] {
  if (node.tag === 0x30) return [parseKeyTransport(buf, node)];
  if (node.tag === 0xa1) return parseKeyAgreement(buf, node);
  // KEK, password and other recipient infos are not ours to open; skipping them is correct.
  return [];
}

/** Leading zero bytes an encoder may have stripped from an RSA ciphertext (more: odds below 2^-64). */
const MAX_STRIPPED_ZERO_BYTES = 8;

/**
 * Refuses an encryptedKey whose length cannot be an RSA ciphertext for this key, before any private
 * key operation (RFC 8017 §7.2.2 step 1: the ciphertext is k bytes, k the modulus length). The length
 * is public, so refusing by it tells an attacker nothing; implicit rejection is for what is secret.
 * A few leading zero bytes less are accepted and padded back, as OpenSSL does: some encoders strip them.
 */
function checkRsaCiphertextLength(encryptedKey: Uint8Array, modulusBits: number | undefined): void {
  if (!modulusBits) return;
  const k = Math.ceil(modulusBits / 8);
  if (encryptedKey.length > k || encryptedKey.length < k - MAX_STRIPPED_ZERO_BYTES) {
    throw new CachetError('ERR_CMS_MALFORMED', `the RSA-encrypted key is ${encryptedKey.length} bytes; an RSA-${modulusBits} key's ciphertext is ${k} bytes`, {
      details: { encryptedKeyLength: encryptedKey.length, modulusBits },
    });
  }
}

function parseKeyTransport(buf: Uint8Array, node: DerNode): RecipientEntry {
  const [, ridNode, algorithmNode, encryptedKeyNode] = derChildren(buf, node);
  if (!ridNode || !algorithmNode || !encryptedKeyNode) throw new CachetError('ERR_CMS_MALFORMED', 'a KeyTransRecipientInfo is incomplete');
  const identifier = decodeIdentifier(derBytes(buf, ridNode));
  const [algOid, algParams] = derChildren(buf, algorithmNode);
  const oid = derOid(buf, algOid!);
  const encryptedKey = derContent(buf, encryptedKeyNode);
  if (oid === OID.rsaEncryption) {
    return {
      keyManagement: 'rsa',
      identifier,
      async unwrap(decryptor, contentKeyLength) {
        if (!decryptor.key.decryptKeyTransport) throw new CachetError('ERR_KEY_NOT_FOUND', 'this key cannot decrypt RSA key transport');
        checkRsaCiphertextLength(encryptedKey, decryptor.key.modulusBits);
        return decryptor.key.decryptKeyTransport(encryptedKey, { scheme: 'rsa-pkcs1', expectedLength: contentKeyLength });
      },
    };
  }
  if (oid === OID.id_RSAES_OAEP) {
    const { hash, mgf1Hash, label } = parseOaepParameters(buf, algParams);
    return {
      keyManagement: 'rsa-oaep',
      identifier,
      async unwrap(decryptor) {
        if (!decryptor.key.decryptKeyTransport) throw new CachetError('ERR_KEY_NOT_FOUND', 'this key cannot decrypt RSA key transport');
        checkRsaCiphertextLength(encryptedKey, decryptor.key.modulusBits);
        // mgf1Hash is named only when it differs, so keys that predate it see the request they know.
        return decryptor.key.decryptKeyTransport(encryptedKey, { scheme: 'rsa-oaep', hash, ...(mgf1Hash !== hash ? { mgf1Hash } : {}), ...(label ? { label } : {}) });
      },
    };
  }
  throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the key transport algorithm ${oid} is not supported`);
}

/**
 * RSAES-OAEP-params in every encoding seen in the wild: parameters absent or NULL (all defaults:
 * SHA-1, MGF1-SHA-1), explicit hash with absent or NULL hash parameters, and an MGF1 digest that
 * differs from the OAEP digest (SHA-256 with the default MGF1-SHA-1, as Java's JCE and BouncyCastle
 * write it).
 */
function parseOaepParameters(buf: Uint8Array, params: DerNode | undefined): { hash: OaepHash; mgf1Hash: OaepHash; label?: Uint8Array } {
  let hash: OaepHash = 'sha1';
  let mgf1Hash: OaepHash = 'sha1';
  let label: Uint8Array | undefined;
  if (params && params.tag === 0x30) {
    for (const field of derChildren(buf, params)) {
      const [inner] = derChildren(buf, field);
      if (!inner) continue;
      if (field.tag === 0xa0) hash = hashByOid(derOid(buf, derChildren(buf, inner)[0]!)) as OaepHash;
      if (field.tag === 0xa1) {
        const [mgfId, mgfParams] = derChildren(buf, inner);
        if (!mgfId || derOid(buf, mgfId) !== OID.id_mgf1) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'RSA-OAEP with a mask generation function other than MGF1 is not supported');
        if (mgfParams) mgf1Hash = hashByOid(derOid(buf, derChildren(buf, mgfParams)[0]!)) as OaepHash;
      }
      if (field.tag === 0xa2) {
        const [, value] = derChildren(buf, inner);
        if (value && value.tag === 0x04 && value.end > value.contentStart) label = derContent(buf, value);
      }
    }
  }
  return label ? { hash, mgf1Hash, label } : { hash, mgf1Hash };
}

function hashByOid(oid: string): string {
  const hash = HASH_OIDS[oid];
  if (!hash || hash === 'sha224') throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the digest ${oid} is not supported here`);
  return hash;
}

function parseKeyAgreement(buf: Uint8Array, node: DerNode): RecipientEntry[] {
  const fields = derChildren(buf, node);
  const originatorField = fields.find((f) => f.tag === 0xa0);
  const ukmField = fields.find((f) => f.tag === 0xa1);
  const algorithmNode = fields.find((f, i) => i > 0 && f.tag === 0x30);
  const keysNode = fields.filter((f) => f.tag === 0x30)[1];
  if (!originatorField || !algorithmNode || !keysNode) throw new CachetError('ERR_CMS_MALFORMED', 'a KeyAgreeRecipientInfo is incomplete');
  const [originator] = derChildren(buf, originatorField);
  if (!originator || originator.tag !== 0xa1) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'only ephemeral-static ECDH (an originator public key) is supported');
  const [, pointNode] = derChildren(buf, originator);
  const point = derBytes(buf, pointNode!);
  const ukm = ukmField ? derContent(buf, derChildren(buf, ukmField)[0]!) : undefined;
  const [schemeNode, wrapNode] = derChildren(buf, algorithmNode);
  const scheme = derOid(buf, schemeNode!);
  const kdfHash = KDF_HASH[scheme];
  if (!kdfHash) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the key agreement scheme ${scheme} is not supported`);
  if (!wrapNode) throw new CachetError('ERR_CMS_MALFORMED', 'the key agreement has no key wrap algorithm');
  const wrapDer = Buffer.from(derBytes(buf, wrapNode));
  const wrap = WRAP[derOid(buf, derChildren(buf, wrapNode)[0]!)];
  if (!wrap) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'the key wrap algorithm is not supported');
  return derChildren(buf, keysNode).map((recipientKey) => {
    const [ridNode, encryptedKeyNode] = derChildren(buf, recipientKey);
    let identifier: CertificateIdentifier;
    if (ridNode!.tag === 0xa0) {
      const [ski] = derChildren(buf, ridNode!);
      identifier = { kind: 'subjectKeyIdentifier', keyIdentifier: derContent(buf, ski!) };
    } else identifier = decodeIdentifier(derBytes(buf, ridNode!));
    const wrapped = derContent(buf, encryptedKeyNode!);
    return {
      keyManagement: 'ecdh' as const,
      identifier,
      async unwrap(decryptor: Decryptor) {
        if (!decryptor.key.deriveSharedSecret) throw new CachetError('ERR_KEY_NOT_FOUND', 'this key cannot do ECDH');
        const own = publicKeyInfo(decryptor.certificate);
        if (!own.curveOid) throw new CachetError('ERR_CERT_MALFORMED', 'the certificate has no EC curve');
        const originatorSpki = sequence(sequence(objectIdentifier(OID.id_ecPublicKey), objectIdentifier(own.curveOid)), point);
        const z = await decryptor.key.deriveSharedSecret(originatorSpki);
        const kek = x963Kdf(kdfHash, z, sharedInfo(wrapDer, ukm, wrap.keyLength), wrap.keyLength);
        return aesKeyUnwrap(wrap.nodeName, kek, wrapped);
      },
    };
  });
}

/** Whether `decryptor`'s certificate is the one `entry` names. */
export function decryptorMatches(entry: RecipientEntry, decryptor: Decryptor): boolean {
  return entry.identifier !== undefined && certificateMatches(decryptor.certificate, entry.identifier);
}

