/**
 * The steps of the reference flow that belong to other modules: the S/MIME engine (sign, encrypt,
 * decrypt, verify), the certificates module (role detection, validator with CRLs), and the
 * directory module's LDAP lookup.
 */
import 'reflect-metadata';
import { CRLDistributionPointsExtension, X509Certificate as PeculiarCertificate } from '@peculiar/x509';
import { lookupInDirectory } from '../../src/adapters/directory/ldap-lookup.js';
import { readMimeEntity } from '../../src/engine/mime/entity-reader.js';
import type { PrivateKeyHandle } from '../../src/engine/keys.js';
import { certificateRole } from '../../src/engine/pki/certificate-role.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import type { CertificateValidator } from '../../src/engine/pki/validator.js';
import { decryptEnvelopedEntity } from '../../src/engine/smime/decrypt.js';
import { encryptMessage } from '../../src/engine/smime/encrypt.js';
import { signMessage } from '../../src/engine/smime/sign.js';
import { verifySignedEntity } from '../../src/engine/smime/verify.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';


// ---------------------------------------------------------------- roles

export type Role = 'signing' | 'encryption' | 'dual';

/** The role a certificate can play, by the certificates module's rule (RFC 8550 §4.4.2). */
export function detectRole(certificate: Uint8Array): Role {
  const { role, reasons } = certificateRole(certificate);
  if (role === 'none') throw new Error(`not an S/MIME certificate: ${reasons.join('; ')}`);
  return role;
}

// ---------------------------------------------------------------- directory

/** Certificates on the directory entry for `email`, by the directory module's lookup (anonymous read). */
export async function directoryCertificates(url: string, baseDn: string, email: string): Promise<Uint8Array[]> {
  const found = await lookupInDirectory({ url, baseDn, anonymous: true }, [email]);
  return (found.get(email) ?? [...found.values()][0] ?? []).flatMap((entry) => entry.certificates);
}

// ---------------------------------------------------------------- the S/MIME engine

export interface SigningCredential { certificate: Uint8Array; chain: Uint8Array[]; key: PrivateKeyHandle }

export async function signMail(message: string, signer: SigningCredential): Promise<Buffer> {
  const signers = [{ certificate: signer.certificate, chain: signer.chain, key: signer.key }];
  return Buffer.from(await collectBytes(signMessage(toByteStream(Buffer.from(message)), { signers, mode: 'detached' })));
}

export async function encryptMail(signedMessage: Uint8Array, recipient: Uint8Array): Promise<Buffer> {
  return Buffer.from(await collectBytes(encryptMessage(toByteStream(signedMessage), { recipients: [{ certificate: recipient }] })));
}

export async function decryptMail(encrypted: Uint8Array, recipient: { certificate: Uint8Array; key: PrivateKeyHandle }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const entity = await readMimeEntity(toByteStream(encrypted));
  await decryptEnvelopedEntity(entity, { write: (c) => { chunks.push(Buffer.from(c)); } }, { decryptors: [{ certificate: recipient.certificate, key: recipient.key }] });
  return Buffer.concat(chunks);
}

/** The CRL distribution point URLs of the certificates (RFC 5280 §4.2.1.13). */
export function crlUrlsOf(certificates: Uint8Array[]): string[] {
  const urls = new Set<string>();
  for (const der of certificates) {
    const raw = new PeculiarCertificate(Buffer.from(der)).getExtension('2.5.29.31');
    if (!raw) continue;
    for (const point of new CRLDistributionPointsExtension(raw.rawData).distributionPoints) {
      for (const name of point.distributionPoint?.fullName ?? []) if (name.uniformResourceIdentifier) urls.add(name.uniformResourceIdentifier);
    }
  }
  return [...urls];
}

/**
 * The certificates module's validator with the root as the only anchor and the CRLs fetched now
 * from the distribution points the certificates name (served by `cachet ca ocsp`); revocation
 * hard-fail, so a missing CRL cannot pass for "good".
 */
export async function validatorFor(root: Uint8Array, certificates: Uint8Array[]): Promise<CertificateValidator> {
  const crls: Uint8Array[] = [];
  for (const url of crlUrlsOf(certificates)) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
    crls.push(new Uint8Array(await response.arrayBuffer()));
  }
  return createCertificateValidator({ trustAnchors: [root], crls, revocation: 'hard-fail' });
}

export interface VerifyOutcome {
  valid: boolean;
  trusted: boolean | null;
  signerEmail: string[];
  revocation?: { status: string; method: string };
  errorCode?: string;
}

export async function verifyMail(signed: Uint8Array, validator: CertificateValidator): Promise<VerifyOutcome> {
  const entity = await readMimeEntity(toByteStream(signed));
  const report = await verifySignedEntity(entity, { write: () => {} }, { validator });
  const signer = report.signers[0];
  return {
    valid: report.valid,
    trusted: report.trusted,
    signerEmail: signer?.email ?? [],
    ...(signer?.revocation ? { revocation: signer.revocation } : {}),
    ...(signer?.trustError ? { errorCode: signer.trustError.code } : signer?.error ? { errorCode: signer.error.code } : {}),
  };
}
