/**
 * Certificate templates: what a certificate of each kind may do and carry. The three built-in
 * templates mirror the reference deployment ("Exchange Signature Only" → signing-only, "Exchange
 * User" → encryption-only) plus a dual-use one, and follow the CA/Browser Forum S/MIME Baseline
 * Requirements, mailbox-validated **strict** profile (BR §7.1.2.3):
 *  - keyUsage: signing → digitalSignature (+ nonRepudiation, "MAY"); key management →
 *    keyEncipherment for RSA, keyAgreement for EC; dual → both sets (BR §7.1.2.3 (e));
 *  - extKeyUsage: id-kp-emailProtection only ("strict": no other purpose);
 *  - certificatePolicies: 2.23.140.1.5.1.3 (mailbox-validated strict);
 *  - subject: the mailbox only — BR §7.1.4.2.2 allows, for mailbox-validated, a commonName that is a
 *    mailbox address and emailAddress; the person's name therefore is not in the certificate;
 *  - validity at most 825 days (BR §6.3.2 for strict); RSA ≥ 2048 bits, EC P-256 or P-384 (§6.1.5).
 */
import { CachetError } from '../engine/errors.js';

export type TemplateName = 'signing-only' | 'encryption-only' | 'dual';
export type TemplateRole = 'signing' | 'encryption' | 'dual';

export interface CertificateTemplate {
  name: TemplateName;
  /** The name an enterprise CA gives the same template, for administrators who know that one. */
  equivalent: string;
  description: string;
  role: TemplateRole;
  /** keyUsage bits by key family (names as in RFC 5280 §4.2.1.3). */
  keyUsage: { rsa: string[]; ec: string[] };
  extendedKeyUsage: string[];
  certificatePolicies: string[];
  validityDays: number;
  minimumRsaBits: number;
  /** Curves accepted for EC keys (the minimum is P-256). */
  allowedCurves: Array<'P-256' | 'P-384'>;
  /** Whether Cachet may hand the private key out as a PKCS#12 file. */
  exportableKey: boolean;
  /** The default key type when Cachet makes the key pair. */
  defaultKeyType: 'rsa-2048' | 'rsa-3072' | 'ec-p256' | 'ec-p384';
  profile: 'CA/B Forum S/MIME BR, mailbox-validated strict';
}

export const ID_KP_EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
/** CA/B Forum S/MIME BR §7.1.6.1: mailbox-validated, strict. */
export const SMIME_MAILBOX_VALIDATED_STRICT = '2.23.140.1.5.1.3';
/** BR §6.3.2: "Strict … 825 days". */
export const MAX_VALIDITY_DAYS_STRICT = 825;

const common = {
  extendedKeyUsage: [ID_KP_EMAIL_PROTECTION],
  certificatePolicies: [SMIME_MAILBOX_VALIDATED_STRICT],
  validityDays: 730,
  minimumRsaBits: 2048,
  allowedCurves: ['P-256', 'P-384'] as Array<'P-256' | 'P-384'>,
  exportableKey: true,
  defaultKeyType: 'rsa-2048' as const,
  profile: 'CA/B Forum S/MIME BR, mailbox-validated strict' as const,
};

export const TEMPLATES: Readonly<Record<TemplateName, CertificateTemplate>> = {
  'signing-only': {
    ...common,
    name: 'signing-only',
    equivalent: 'Exchange Signature Only',
    description: 'signs mail (digitalSignature, nonRepudiation); cannot be encrypted to',
    role: 'signing',
    keyUsage: { rsa: ['digitalSignature', 'nonRepudiation'], ec: ['digitalSignature', 'nonRepudiation'] },
  },
  'encryption-only': {
    ...common,
    name: 'encryption-only',
    equivalent: 'Exchange User',
    description: 'receives encrypted mail (keyEncipherment for RSA, keyAgreement for EC); cannot sign',
    role: 'encryption',
    keyUsage: { rsa: ['keyEncipherment'], ec: ['keyAgreement'] },
  },
  dual: {
    ...common,
    name: 'dual',
    equivalent: 'User (dual use)',
    description: 'signs and receives encrypted mail with one key',
    role: 'dual',
    keyUsage: { rsa: ['digitalSignature', 'nonRepudiation', 'keyEncipherment'], ec: ['digitalSignature', 'nonRepudiation', 'keyAgreement'] },
  },
};

export function listTemplates(): CertificateTemplate[] {
  return Object.values(TEMPLATES);
}

/**
 * A template by its Cachet name or by the enterprise name `ca template list` prints beside it
 * ("Exchange User"), in any case: an administrator types the name they were shown.
 * @throws CachetError ERR_TEMPLATE_UNKNOWN naming the templates that exist.
 */
export function getTemplate(name: string): CertificateTemplate {
  const wanted = name.trim().toLowerCase();
  const template = listTemplates().find((t) => t.name === wanted || t.equivalent.toLowerCase() === wanted);
  if (!template) {
    const names = listTemplates().map((t) => `${t.name} ("${t.equivalent}")`).join(', ');
    throw new CachetError('ERR_TEMPLATE_UNKNOWN', `there is no template "${name}"; the templates are ${names}`, { details: { template: name } });
  }
  return template;
}

export interface PublicKeyFacts {
  kind: 'rsa' | 'ec' | 'other';
  /** RSA modulus bits. */
  bits?: number;
  curve?: string;
}

/**
 * Refuses a key the template does not allow.
 * @throws CachetError ERR_KEY_TOO_SMALL (RSA under the floor, EC under P-256) or
 *   ERR_UNSUPPORTED_ALGORITHM (a key family or curve the template does not know).
 */
export function enforceKeyPolicy(template: CertificateTemplate, key: PublicKeyFacts): void {
  if (key.kind === 'rsa') {
    const bits = key.bits ?? 0;
    if (bits < template.minimumRsaBits) {
      throw new CachetError('ERR_KEY_TOO_SMALL', `the RSA key has ${bits} bits; the template "${template.name}" requires at least ${template.minimumRsaBits} bits`, { details: { bits, minimum: template.minimumRsaBits } });
    }
    return;
  }
  if (key.kind === 'ec') {
    if (key.curve === 'P-192' || key.curve === 'P-224') {
      throw new CachetError('ERR_KEY_TOO_SMALL', `the EC key is on ${key.curve}; the template "${template.name}" requires P-256 or larger`, { details: { curve: key.curve } });
    }
    if (!template.allowedCurves.includes(key.curve as 'P-256')) {
      throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the EC curve ${key.curve ?? 'unknown'} is not allowed by the template "${template.name}" (allowed: ${template.allowedCurves.join(', ')})`, { details: { curve: key.curve } });
    }
    return;
  }
  throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the template "${template.name}" accepts RSA and EC keys only`);
}
