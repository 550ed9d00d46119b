/**
 * What a person needs to know about a certificate before trusting or importing it: who it names
 * (subject, e-mail addresses per RFC 8550 §3), who issued it, when it is valid, its key, what it may
 * be used for (RFC 5280 §4.2.1.3 keyUsage, §4.2.1.12 extendedKeyUsage), the S/MIME role that follows,
 * and its SHA-256 fingerprint (the identity Cachet's stores use).
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { BasicConstraintsExtension, ExtendedKeyUsageExtension, KeyUsageFlags, KeyUsagesExtension, type X509Certificate } from '@peculiar/x509';
import { certificateEmails, certificateIssuer, certificateSubject } from '../cms/cert-id.js';
import { certificatePublicKey, parseCertificate } from './parse-certificate.js';
import { certificateRole, type CertificateRole } from './certificate-role.js';

export interface CertificateInfo {
  subject: string;
  emails: string[];
  issuer: string;
  /** Serial number, lower-case hex as printed by `openssl x509 -serial` (without leading zero octets). */
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** 'RSA', 'EC', 'Ed25519', … */
  keyAlgorithm: string;
  /** Modulus length for RSA, field size for EC. */
  keyBits?: number;
  /** Named curve for EC keys (P-256, P-384, P-521). */
  curve?: string;
  keyUsage: string[];
  extendedKeyUsage: string[];
  isCa: boolean;
  selfSigned: boolean;
  role: CertificateRole;
  roleReasons: string[];
  /** SHA-256 of the DER certificate, lower-case hex. */
  fingerprintSha256: string;
}

/** RFC 5280 §4.2.1.3 names, in bit order. */
const KEY_USAGE_NAMES: Array<[number, string]> = [
  [KeyUsageFlags.digitalSignature, 'digitalSignature'],
  [KeyUsageFlags.nonRepudiation, 'nonRepudiation'],
  [KeyUsageFlags.keyEncipherment, 'keyEncipherment'],
  [KeyUsageFlags.dataEncipherment, 'dataEncipherment'],
  [KeyUsageFlags.keyAgreement, 'keyAgreement'],
  [KeyUsageFlags.keyCertSign, 'keyCertSign'],
  [KeyUsageFlags.cRLSign, 'cRLSign'],
  [KeyUsageFlags.encipherOnly, 'encipherOnly'],
  [KeyUsageFlags.decipherOnly, 'decipherOnly'],
];

/** RFC 5280 §4.2.1.12 and RFC 9336 key purposes by OID; unknown ones are shown as their OID. */
const EKU_NAMES: Record<string, string> = {
  '2.5.29.37.0': 'anyExtendedKeyUsage',
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '1.3.6.1.5.5.7.3.36': 'documentSigning',
  '1.3.6.1.4.1.311.10.3.12': 'msDocumentSigning',
  '1.3.6.1.4.1.311.10.3.4': 'msEFS',
  '1.3.6.1.4.1.311.20.2.2': 'msSmartcardLogon',
};

const CURVE_BITS: Record<string, number> = { prime256v1: 256, 'P-256': 256, secp384r1: 384, 'P-384': 384, secp521r1: 521, 'P-521': 521, secp256k1: 256 };
const CURVE_NAMES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** SHA-256 fingerprint of a DER certificate, lower-case hex. */
export function certificateFingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

function keyDetails(cert: X509Certificate): Pick<CertificateInfo, 'keyAlgorithm' | 'keyBits' | 'curve'> {
  const key = certificatePublicKey(cert);
  // A key Node cannot load (an algorithm it does not know) is still worth showing the rest for.
  if (!key) return { keyAlgorithm: 'unknown' };
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' || type === 'rsa-pss') return { keyAlgorithm: type === 'rsa' ? 'RSA' : 'RSA-PSS', ...(details.modulusLength ? { keyBits: details.modulusLength } : {}) };
  if (type === 'ec') {
    const curve = details.namedCurve ?? 'unknown';
    const bits = CURVE_BITS[curve];
    return { keyAlgorithm: 'EC', curve: CURVE_NAMES[curve] ?? curve, ...(bits ? { keyBits: bits } : {}) };
  }
  if (type === 'ed25519') return { keyAlgorithm: 'Ed25519', keyBits: 256 };
  if (type === 'ed448') return { keyAlgorithm: 'Ed448', keyBits: 456 };
  return { keyAlgorithm: type.toUpperCase() };
}

/**
 * Everything `cachet cert inspect` shows about one certificate.
 * @throws CachetError ERR_CERT_MALFORMED when the bytes are not a DER certificate; ERR_LIMIT_EXCEEDED (parse-certificate.ts).
 * @example certificateInfo(readFileSync('alice.der')).role // 'dual'
 */
export function certificateInfo(der: Uint8Array): CertificateInfo {
  const cert = parseCertificate(der);
  const keyUsageExtension = cert.getExtension(KeyUsagesExtension);
  const keyUsage = keyUsageExtension ? KEY_USAGE_NAMES.filter(([flag]) => (keyUsageExtension.usages & flag) !== 0).map(([, name]) => name) : [];
  const eku = cert.getExtension(ExtendedKeyUsageExtension);
  const extendedKeyUsage = eku ? eku.usages.map((u) => EKU_NAMES[String(u)] ?? String(u)) : [];
  const { role, reasons } = certificateRole(cert);
  return {
    subject: certificateSubject(der),
    emails: certificateEmails(der),
    issuer: certificateIssuer(der),
    serialNumber: cert.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    ...keyDetails(cert),
    keyUsage,
    extendedKeyUsage,
    isCa: cert.getExtension(BasicConstraintsExtension)?.ca === true,
    selfSigned: cert.subject === cert.issuer,
    role,
    roleReasons: reasons,
    fingerprintSha256: certificateFingerprint(der),
  };
}
