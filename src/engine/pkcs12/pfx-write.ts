/**
 * Writing PKCS#12 (RFC 7292) files for distribution and export: the key in a shrouded key bag, the
 * certificate and its chain in an encrypted safe, a MAC over everything. Modern by default
 * (PBES2 / PBKDF2-HMAC-SHA-256 / AES-256-CBC, HMAC-SHA-256 MAC), as OpenSSL 3 writes; legacy on request
 * (pbeWithSHAAnd3-KeyTripleDES-CBC for key and certificates, SHA-1 MAC) for clients that predate PBES2,
 * such as older Windows and gpgsm.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CachetError } from '../../errors.js';
import { explicitContext, objectIdentifier, octetString, sequence, setOf, smallInteger, tlv } from '../asn1/ber-writer.js';
import { TagClass } from '../asn1/ber-reader.js';
import { legacyPbeEncrypt, pbes2Encrypt, pfxMac } from './password-based.js';

/** PBKDF2 iterations for modern files: costly for a guesser, still instant to open. */
export const MODERN_KDF_ITERATIONS = 100_000;
/** Legacy files keep the count old readers expect. */
export const LEGACY_KDF_ITERATIONS = 2048;
/**
 * The MAC is checked with the password alone, so its count is what a guesser pays per guess: modern
 * files use the KDF's count for both (as `openssl pkcs12 -iter` does); legacy files keep 2048 for the
 * old readers they exist for.
 */
const macIterations = (legacy: boolean): number => (legacy ? LEGACY_KDF_ITERATIONS : MODERN_KDF_ITERATIONS);

export interface PfxWriteOptions {
  privateKeyPkcs8: Uint8Array;
  certificate: Uint8Array;
  chain: Uint8Array[];
  password: string;
  friendlyName?: string;
  legacy?: boolean;
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
};

function bmpString(text: string): Buffer {
  const out = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return tlv(TagClass.universal, 30, false, out);
}

function attributes(friendlyName: string | undefined, localKeyId: Buffer): Buffer {
  const items = [sequence(objectIdentifier(OID.localKeyId), setOf(octetString(localKeyId)))];
  if (friendlyName) items.push(sequence(objectIdentifier(OID.friendlyName), setOf(bmpString(friendlyName))));
  return setOf(...items);
}

function dataContentInfo(content: Buffer): Buffer {
  return sequence(objectIdentifier(OID.data), explicitContext(0, octetString(content)));
}

export async function writePfx(options: PfxWriteOptions): Promise<Uint8Array> {
  if (options.password.length === 0) throw new CachetError('ERR_USAGE', 'a PKCS#12 file needs a password');
  const legacy = options.legacy === true;
  const iterations = legacy ? LEGACY_KDF_ITERATIONS : MODERN_KDF_ITERATIONS;
  const encrypt = async (data: Buffer) => (legacy ? legacyPbeEncrypt(options.password, data, iterations, '3des') : pbes2Encrypt(options.password, data, iterations));
  // OpenSSL's convention: the localKeyId is the SHA-1 of the certificate.
  const localKeyId = createHash('sha1').update(options.certificate).digest();

  const shrouded = await encrypt(Buffer.from(options.privateKeyPkcs8));
  const keyBag = sequence(
    objectIdentifier(OID.pkcs8ShroudedKeyBag),
    explicitContext(0, sequence(shrouded.algorithm, octetString(shrouded.encrypted))),
    attributes(options.friendlyName, localKeyId),
  );
  const certBag = (der: Uint8Array, withAttributes: boolean) =>
    sequence(
      objectIdentifier(OID.certBag),
      explicitContext(0, sequence(objectIdentifier(OID.x509Certificate), explicitContext(0, octetString(der)))),
      ...(withAttributes ? [attributes(options.friendlyName, localKeyId)] : []),
    );
  const certificates = sequence(certBag(options.certificate, true), ...options.chain.map((c) => certBag(c, false)));
  const encryptedCertificates = await encrypt(certificates);
  const encryptedData = sequence(
    objectIdentifier(OID.encryptedData),
    explicitContext(0, sequence(smallInteger(0), sequence(objectIdentifier(OID.data), encryptedCertificates.algorithm, tlv(TagClass.context, 0, false, encryptedCertificates.encrypted)))),
  );
  const authenticatedSafe = sequence(encryptedData, dataContentInfo(sequence(keyBag)));

  const macHash = legacy ? 'sha1' : 'sha256';
  const macSalt = randomBytes(legacy ? 8 : 16);
  const mac = await pfxMac(macHash, options.password, macSalt, macIterations(legacy), authenticatedSafe);
  const macData = sequence(
    sequence(sequence(objectIdentifier(legacy ? OID.sha1 : OID.sha256), Buffer.from([0x05, 0x00])), octetString(mac)),
    octetString(macSalt),
    smallInteger(macIterations(legacy)),
  );
  return sequence(smallInteger(3), dataContentInfo(authenticatedSafe), macData);
}
