/**
 * The role a certificate can play in S/MIME (RFC 8550 §4.4.2, RFC 5280 §4.2.1.3 and §4.2.1.12):
 * signing (digitalSignature and/or nonRepudiation, no keyEncipherment/keyAgreement), encryption
 * (keyEncipherment or keyAgreement, no digitalSignature), dual (both, or no keyUsage at all), or none
 * (a CA certificate, an extendedKeyUsage without emailProtection or anyExtendedKeyUsage, or a DSA key).
 */
import 'reflect-metadata';
import { BasicConstraintsExtension, ExtendedKeyUsageExtension, KeyUsageFlags, KeyUsagesExtension, X509Certificate } from '@peculiar/x509';
import { certificatePublicKey, parseCertificate } from './parse-certificate.js';

export type CertificateRole = 'signing' | 'encryption' | 'dual' | 'none';

const EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
const ANY_EKU = '2.5.29.37.0';

/**
 * The certificate's S/MIME role, with the reasons a person is shown.
 * @param certificate DER, or a certificate parseCertificate already read
 * @throws CachetError ERR_CERT_MALFORMED, ERR_LIMIT_EXCEEDED (parse-certificate.ts)
 * @example certificateRole(der).role // 'signing'
 */
export function certificateRole(certificate: Uint8Array | X509Certificate): { role: CertificateRole; reasons: string[] } {
  const cert = certificate instanceof X509Certificate ? certificate : parseCertificate(certificate);
  if (cert.getExtension(BasicConstraintsExtension)?.ca) return { role: 'none', reasons: ['it is a CA certificate'] };
  if (hasDsaKey(cert)) return { role: 'none', reasons: ['it has a DSA key, which Cachet verifies but never signs with (FIPS 186-5 withdrew it) and which cannot encrypt'] };
  const eku = cert.getExtension(ExtendedKeyUsageExtension);
  if (eku) {
    const usages = eku.usages.map(String);
    if (!usages.includes(EMAIL_PROTECTION) && !usages.includes(ANY_EKU)) return { role: 'none', reasons: ['its extended key usage does not include e-mail protection'] };
  }
  const keyUsage = cert.getExtension(KeyUsagesExtension);
  if (!keyUsage) return { role: 'dual', reasons: ['it has no key usage restriction'] };
  const signs = (keyUsage.usages & (KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation)) !== 0;
  const encrypts = (keyUsage.usages & (KeyUsageFlags.keyEncipherment | KeyUsageFlags.keyAgreement)) !== 0;
  if (signs && encrypts) return { role: 'dual', reasons: ['its key usage allows both signing and encryption'] };
  if (signs) return { role: 'signing', reasons: ['its key usage allows signing only'] };
  if (encrypts) return { role: 'encryption', reasons: ['its key usage allows encryption only'] };
  return { role: 'none', reasons: ['its key usage allows neither signing nor encryption'] };
}

function hasDsaKey(cert: X509Certificate): boolean {
  return certificatePublicKey(cert)?.asymmetricKeyType === 'dsa';
}

/**
 * Why a certificate cannot be a recipient's, or undefined when it can: the one rule behind
 * `cachet encrypt --to` and the recipients of `cachet send` and the web client, so both refuse a CA
 * certificate, a signing-only and a TLS server certificate with the same sentence.
 * @throws CachetError ERR_CERT_MALFORMED when the bytes are not a certificate, ERR_LIMIT_EXCEEDED.
 */
export function recipientCertificateProblem(der: Uint8Array): string | undefined {
  const { role, reasons } = certificateRole(der);
  if (role === 'encryption' || role === 'dual') return undefined;
  return `it cannot be used for encryption: ${reasons.join('; ')}`;
}
