/** A certificate as the web client shows it (details panels of signers, recipients and the user's own). */
import 'reflect-metadata';
import { X509Certificate as PeculiarCertificate } from '@peculiar/x509';
import { createHash } from 'node:crypto';
import { certificateEmails } from '../../engine/cms/cert-id.js';
import type { CertificateDetails } from './mail-service.js';

export function describeCertificate(der: Uint8Array, chain: Uint8Array[] = [], revocation = 'not checked'): CertificateDetails {
  const cert = new PeculiarCertificate(Buffer.from(der));
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    email: certificateEmails(der),
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    fingerprint: createHash('sha256').update(der).digest('hex').replace(/(..)(?!$)/g, '$1:'),
    chain: chain.map((c) => new PeculiarCertificate(Buffer.from(c)).subject),
    revocation,
  };
}
