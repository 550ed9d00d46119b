/**
 * RFC 5280 §6 checks that the chain builder in create-validator.ts applies to each link and that a
 * mail client needs besides: name constraints on e-mail addresses (rfc822Name, §4.2.1.10), critical
 * extensions this implementation does not process (§4.2: "MUST reject"), and the match of the
 * signer's certificate with the message's From address (RFC 8550 §3, RFC 8398 for internationalised
 * addresses).
 *
 * @peculiar/asn1-x509 parses NameConstraints; the rfc822Name matching rules are written here because
 * no library in the project applies them.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, NameConstraints, type GeneralSubtrees } from '@peculiar/asn1-x509';
import { domainToASCII } from 'node:url';
import { certificateEmails } from '../cms/cert-id.js';

const OID = {
  nameConstraints: '2.5.29.30',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  policyConstraints: '2.5.29.36',
  inhibitAnyPolicy: '2.5.29.54',
  authorityKeyIdentifier: '2.5.29.35',
  subjectKeyIdentifier: '2.5.29.14',
  crlDistributionPoints: '2.5.29.31',
  freshestCrl: '2.5.29.46',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  subjectInfoAccess: '1.3.6.1.5.5.7.1.11',
  subjectDirectoryAttributes: '2.5.29.9',
  // RFC 6960 §4.2.2.2.1: id-pkix-ocsp-nocheck, in delegated responder certificates.
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  // RFC 7633 TLS feature; harmless for mail.
  tlsFeature: '1.3.6.1.5.5.7.1.24',
} as const;

/**
 * Extensions whose criticality we honour. Policy extensions are listed because a mail client
 * validates with initial-policy-set = any-policy and no explicit policy (RFC 8550 §4.1 leaves policy
 * processing to local configuration), under which their presence changes no outcome.
 */
const PROCESSED = new Set<string>(Object.values(OID));

/** The certificate as its ASN.1 structure (the extensions' raw values), not parse-certificate.ts's X509Certificate. */
function certificateStructure(der: Uint8Array): Certificate {
  return AsnConvert.parse(Buffer.from(der), Certificate);
}

/** The OIDs of critical extensions this implementation does not process (RFC 5280 §4.2: reject). */
export function unknownCriticalExtensions(der: Uint8Array): string[] {
  const extensions = certificateStructure(der).tbsCertificate.extensions ?? [];
  return extensions.filter((e) => e.critical && !PROCESSED.has(e.extnID)).map((e) => e.extnID);
}

/** Lower-cases ASCII letters only: RFC 8398 §3 forbids other case folding of a UTF-8 local part. */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function toALabels(domain: string): string {
  const trimmed = domain.replace(/\.$/, '');
  return (domainToASCII(trimmed) || trimmed).toLowerCase();
}

/** An address in the form certificates are compared in: local part as is (ASCII case-folded), domain in A-labels. */
export function comparableAddress(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  return `${asciiLower(address.slice(0, at))}@${toALabels(address.slice(at + 1))}`;
}

/**
 * Whether the certificate is issued to `address` (the message's From): SAN rfc822Name or the legacy
 * emailAddress attribute. Case-insensitive (the rule, and what every mail client does for
 * ASCII), domains compared as A-labels after IDNA (RFC 8398 §5), non-ASCII local parts exactly.
 */
export function matchesSenderAddress(cert: Uint8Array, address: string): boolean {
  const wanted = comparableAddress(address.trim());
  if (!wanted) return false;
  return certificateEmails(cert).some((email) => comparableAddress(email) === wanted);
}

/**
 * RFC 5280 §4.2.1.10 rfc822Name constraint matching: "a particular mailbox" (contains @), "all
 * addresses on a particular host" (a domain), or "any address within a domain" (leading period).
 */
export function rfc822Within(address: string, constraint: string): boolean {
  const email = comparableAddress(address);
  if (!email) return false;
  const c = constraint.trim();
  if (c.includes('@')) return comparableAddress(c) === email;
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (c.startsWith('.')) return domain.endsWith(`.${toALabels(c.slice(1))}`);
  return domain === toALabels(c);
}

function rfc822Subtrees(subtrees: GeneralSubtrees | undefined): string[] | undefined {
  if (!subtrees) return undefined;
  const names = subtrees.map((s) => s.base.rfc822Name).filter((n): n is string => n !== undefined);
  return names;
}

export interface NameConstraintProblem {
  address: string;
  rule: 'not-permitted' | 'excluded';
}

/**
 * Checks the e-mail addresses of `subject` (an end entity or a CA below) against the rfc822Name
 * constraints of the CA certificate `ca`. Returns the first offending address, or undefined.
 * Other name forms (DNS, directoryName) say nothing about mail and are not applied here.
 */
export function nameConstraintProblem(ca: Uint8Array, subject: Uint8Array): NameConstraintProblem | undefined {
  const extension = (certificateStructure(ca).tbsCertificate.extensions ?? []).find((e) => e.extnID === OID.nameConstraints);
  if (!extension) return undefined;
  const constraints = AsnConvert.parse(extension.extnValue.buffer, NameConstraints);
  const permitted = rfc822Subtrees(constraints.permittedSubtrees);
  const excluded = rfc822Subtrees(constraints.excludedSubtrees) ?? [];
  for (const address of certificateEmails(subject)) {
    if (excluded.some((c) => rfc822Within(address, c))) return { address, rule: 'excluded' };
    // A permitted set with no rfc822Name entry leaves e-mail addresses unconstrained (§4.2.1.10).
    if (permitted && permitted.length > 0 && !permitted.some((c) => rfc822Within(address, c))) return { address, rule: 'not-permitted' };
  }
  return undefined;
}
