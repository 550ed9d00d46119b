/**
 * Issuing: a public key + a mailbox + a template → an end-entity certificate signed by the CA's
 * issuing key, recorded in the CA's index. Also makes the CA's own certificates (root, intermediate).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import {
  AuthorityInfoAccessExtension,
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  CertificatePolicyExtension,
  CRLDistributionPointsExtension,
  ExtendedKeyUsageExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
  type JsonName,
} from '@peculiar/x509';
import { CachetError } from '../../errors.js';
import type { PrivateKeyHandle } from '../../engine/keys.js';
import { x509Signing } from './ca-signer.js';
import { bufferOf, randomSerial, type CaKeyPair, type CaSettings, type CaStore, type IssuedEntry } from './ca-store.js';
import { publicKeyFacts } from './key-pair.js';
import { enforceKeyPolicy, ID_KP_EMAIL_PROTECTION, validityDaysFor, type CertificateTemplate } from './templates.js';

const crypto = webcrypto as unknown as Crypto;
const ID_EMAIL_ADDRESS = '1.2.840.113549.1.9.1';
const ID_AT_COMMON_NAME = '2.5.4.3';
const ID_AT_ORGANIZATION = '2.5.4.10';
const DAY = 86_400_000;

/** Public URLs of a CA, derived from its `httpBase`. One HTTP service (`cachet ca ocsp`) answers all three. */
export function caUrls(settings: Pick<CaSettings, 'httpBase'>): { crl: string; ocsp: string; caIssuers: string } {
  const base = settings.httpBase.replace(/\/+$/, '');
  return { crl: `${base}/crl`, ocsp: `${base}/ocsp`, caIssuers: `${base}/ca.crt` };
}

/** A mailbox as RFC 5321 allows it in a certificate: ASCII local part and domain, no spaces. */
export function checkMailbox(email: string): string {
  const trimmed = email.trim();
  if (!/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(trimmed)) {
    throw new CachetError('ERR_USAGE', `"${email}" is not a mailbox address Cachet can certify (expected name@domain)`, { details: { email } });
  }
  // RFC 5321 §2.4: the domain is case-insensitive; the local part is kept as given.
  const at = trimmed.lastIndexOf('@');
  return `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}

function keyUsageFlags(names: string[]): KeyUsageFlags {
  let flags = 0;
  for (const name of names) {
    const flag = (KeyUsageFlags as unknown as Record<string, number>)[name];
    if (flag === undefined) throw new CachetError('ERR_INTERNAL', `unknown keyUsage ${name}`);
    flags |= flag;
  }
  return flags as KeyUsageFlags;
}

function subjectKeyIdOf(certificate: X509Certificate): string | undefined {
  return certificate.getExtension(SubjectKeyIdentifierExtension)?.keyId;
}

export interface IssueRequest {
  template: CertificateTemplate;
  /** SubjectPublicKeyInfo DER of the key to certify. */
  spki: Uint8Array;
  email: string;
  /** Validity start; default now. */
  notBefore?: Date;
  /** Days of validity; default the template's; never over the BR limit (ERR_POLICY_FORBIDS). */
  validityDays?: number;
  /** Who asks, for the audit log (an administrator, an ACME account, the renewal of a serial). */
  actor?: string;
  /** The certificate reaches its owner with this issuance (a CSR's requester, an ACME client). */
  deliveredVia?: string;
  /** The serial this certificate renews. */
  renews?: string;
}

export interface IssuedCertificate {
  certificate: Uint8Array;
  entry: IssuedEntry;
}

/**
 * Issues an end-entity certificate per the template and records it in the index.
 * @throws CachetError ERR_KEY_TOO_SMALL / ERR_UNSUPPORTED_ALGORITHM when the key breaks the template;
 *   ERR_POLICY_FORBIDS when the validity asked is longer than the BR allow.
 * @example
 *   const issuer = await store.issuer(passphrase);
 *   const { certificate } = await issueCertificate(store, issuer, { template: getTemplate('signing-only'), spki, email: 'alice@example.com' });
 */
export async function issueCertificate(store: CaStore, issuer: CaKeyPair, request: IssueRequest): Promise<IssuedCertificate> {
  const settings = await store.settings();
  if (settings.intermediate && settings.issuingRevocation) {
    throw new CachetError('ERR_CERT_REVOKED', `the issuing CA was revoked on ${settings.issuingRevocation.revokedAt.slice(0, 10)}: this CA can no longer issue certificates; set up a new CA`);
  }
  const { template } = request;
  const email = checkMailbox(request.email);
  const facts = publicKeyFacts(request.spki);
  enforceKeyPolicy(template, facts);
  const validityDays = validityDaysFor(template, request.validityDays);
  // Backdated by a minute so a clock a little behind the CA's still accepts a fresh certificate.
  const notBefore = request.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + validityDays * DAY);
  const issuerCertificate = new X509Certificate(bufferOf(issuer.certificate));
  // Never later than the issuer (RFC 5280 §6.1.3 would reject the tail end anyway).
  const cappedNotAfter = notAfter > issuerCertificate.notAfter ? issuerCertificate.notAfter : notAfter;
  const urls = caUrls(settings);
  const existing = new Set((await store.index()).map((e) => e.serial));
  let serial = randomSerial();
  while (existing.has(serial)) serial = randomSerial();

  const issuerKeyId = subjectKeyIdOf(issuerCertificate);
  const signing = x509Signing(issuer.key);
  const subject: JsonName = [{ [ID_AT_COMMON_NAME]: [email] }, { [ID_EMAIL_ADDRESS]: [email] }];
  const extensions: Extension[] = [
    new BasicConstraintsExtension(false, undefined, true),
    new KeyUsagesExtension(keyUsageFlags(facts.kind === 'ec' ? template.keyUsage.ec : template.keyUsage.rsa), true),
    new ExtendedKeyUsageExtension(template.extendedKeyUsage, false),
    new SubjectAlternativeNameExtension([{ type: 'email', value: email }], false),
    await SubjectKeyIdentifierExtension.create(bufferOf(request.spki), false, crypto),
    issuerKeyId ? new AuthorityKeyIdentifierExtension(issuerKeyId, false) : await AuthorityKeyIdentifierExtension.create(issuerCertificate.publicKey, false, crypto),
    new CRLDistributionPointsExtension([urls.crl], false),
    new AuthorityInfoAccessExtension({ ocsp: [urls.ocsp], caIssuers: [urls.caIssuers] }, false),
    new CertificatePolicyExtension(template.certificatePolicies, false),
  ];
  const certificate = await X509CertificateGenerator.create({
    serialNumber: serial,
    subject,
    issuer: issuerCertificate.subjectName,
    notBefore,
    notAfter: cappedNotAfter,
    publicKey: bufferOf(request.spki),
    signingKey: signing.signingKey,
    signingAlgorithm: signing.signingAlgorithm,
    extensions,
  }, signing.crypto);
  const der = new Uint8Array(certificate.rawData);
  const entry = await store.record({
    serial: certificate.serialNumber.toLowerCase().replace(/^(00)+(?=[0-9a-f]{2})/, ''),
    subject: certificate.subject,
    email,
    template: template.name,
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
    issuedAt: new Date().toISOString(),
    status: 'valid',
    certificate: Buffer.from(der).toString('base64'),
    ...(request.deliveredVia ? { delivered: { at: new Date().toISOString(), via: request.deliveredVia } } : {}),
    ...(request.renews ? { renews: request.renews } : {}),
  });
  await store.audit.append({ who: request.actor ?? 'unknown', action: request.renews ? 'renew' : 'issue', serial: entry.serial, email, details: { template: template.name, notAfter: entry.notAfter, ...(request.renews ? { renews: request.renews } : {}) } });
  return { certificate: der, entry };
}

export interface CaCertificateRequest {
  name: string;
  /** The organisation named in the subject (O): the name given to `ca init --name`. */
  organization: string;
  spki: Uint8Array;
  validityDays: number;
  /** Absent for a self-signed root. */
  issuer?: CaKeyPair;
  /** The key signing a root: its own. */
  selfKey?: PrivateKeyHandle;
  /** 0 for an issuing CA that signs only end entities. */
  pathLength?: number;
  settings: Pick<CaSettings, 'httpBase'>;
}

/** A root (self-signed) or an issuing intermediate CA certificate. */
export async function makeCaCertificate(request: CaCertificateRequest): Promise<Uint8Array> {
  const subject: JsonName = [{ [ID_AT_COMMON_NAME]: [request.name] }, { [ID_AT_ORGANIZATION]: [request.organization] }];
  const now = Date.now() - 60_000;
  const extensions: Extension[] = [
    new BasicConstraintsExtension(true, request.pathLength, true),
    new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature, true),
    await SubjectKeyIdentifierExtension.create(bufferOf(request.spki), false, crypto),
  ];
  let signingHandle: PrivateKeyHandle;
  let issuerName: X509Certificate['subjectName'] | JsonName = subject;
  if (request.issuer) {
    const issuerCertificate = new X509Certificate(bufferOf(request.issuer.certificate));
    const issuerKeyId = subjectKeyIdOf(issuerCertificate);
    if (issuerKeyId) extensions.push(new AuthorityKeyIdentifierExtension(issuerKeyId, false));
    // CA/B Forum S/MIME BR §7.1.2.2 (g): a subordinate CA for S/MIME carries id-kp-emailProtection.
    extensions.push(new ExtendedKeyUsageExtension([ID_KP_EMAIL_PROTECTION], false));
    const base = request.settings.httpBase.replace(/\/+$/, '');
    // OCSP for the intermediate itself: `cachet ca ocsp` answers for it with the root's key, so a
    // revoked intermediate shows to clients that use OCSP only (CA/B S/MIME BR §7.1.2.2 (c): MAY).
    extensions.push(new AuthorityInfoAccessExtension({ ocsp: [`${base}/ocsp`], caIssuers: [`${base}/root.crt`] }, false));
    // CA/B Forum S/MIME BR §7.1.2.2 (b): a subordinate CA certificate carries the root's CRL URL.
    extensions.push(new CRLDistributionPointsExtension([`${base}/root.crl`], false));
    signingHandle = request.issuer.key;
    issuerName = issuerCertificate.subjectName;
  } else {
    if (!request.selfKey) throw new CachetError('ERR_INTERNAL', 'a root needs its own key');
    signingHandle = request.selfKey;
  }
  const signing = x509Signing(signingHandle);
  const certificate = await X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: issuerName,
    notBefore: new Date(now),
    notAfter: new Date(now + request.validityDays * DAY),
    publicKey: bufferOf(request.spki),
    signingKey: signing.signingKey,
    signingAlgorithm: signing.signingAlgorithm,
    extensions,
  }, signing.crypto);
  return new Uint8Array(certificate.rawData);
}

/** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): its value is NULL. */
const ID_PKIX_OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';
const ID_KP_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';

/**
 * A short-lived delegated OCSP responder certificate (RFC 6960 §4.2.2.2): id-kp-OCSPSigning, and
 * id-pkix-ocsp-nocheck so clients do not ask about the responder's own status. It is not recorded in
 * the index: it lives only as long as the responder process that made it.
 */
export async function issueResponderCertificate(issuer: CaKeyPair, spki: Uint8Array, validityDays = 2): Promise<Uint8Array> {
  const issuerCertificate = new X509Certificate(bufferOf(issuer.certificate));
  const issuerKeyId = subjectKeyIdOf(issuerCertificate);
  const signing = x509Signing(issuer.key);
  const now = Date.now() - 60_000;
  const certificate = await X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ [ID_AT_COMMON_NAME]: [`OCSP responder for ${issuerCertificate.subjectName.getField('CN')[0] ?? 'the CA'}`] }],
    issuer: issuerCertificate.subjectName,
    notBefore: new Date(now),
    notAfter: new Date(now + validityDays * DAY),
    publicKey: bufferOf(spki),
    signingKey: signing.signingKey,
    signingAlgorithm: signing.signingAlgorithm,
    extensions: [
      new BasicConstraintsExtension(false, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
      new ExtendedKeyUsageExtension([ID_KP_OCSP_SIGNING], false),
      new Extension(ID_PKIX_OCSP_NOCHECK, false, new Uint8Array([0x05, 0x00]).buffer),
      await SubjectKeyIdentifierExtension.create(bufferOf(spki), false, crypto),
      ...(issuerKeyId ? [new AuthorityKeyIdentifierExtension(issuerKeyId, false)] : []),
    ],
  }, signing.crypto);
  return new Uint8Array(certificate.rawData);
}
