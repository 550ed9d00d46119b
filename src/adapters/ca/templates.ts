/**
 * Certificate templates: what a certificate of each kind may do and carry, after the CA/Browser
 * Forum S/MIME Baseline Requirements (BR), mailbox-validated profiles (§7.1.2.3; the "legacy"
 * generation ended in 2025, so Cachet offers none):
 *  - **strict** (2.23.140.1.5.1.3): extKeyUsage id-kp-emailProtection only. The seed's three
 *    templates — signing-only ("Exchange Signature Only"), encryption-only ("Exchange User"), dual —
 *    are strict.
 *  - **multipurpose** (2.23.140.1.5.1.2): emailProtection, and other purposes the BR allow beside it
 *    (Cachet adds id-kp-clientAuth, for signing in with the same certificate; never serverAuth,
 *    codeSigning, timeStamping or anyExtendedKeyUsage, which §7.1.2.3 (f) forbids).
 *  - keyUsage (§7.1.2.3 (e)): signing → digitalSignature (+ nonRepudiation, "MAY"); key management →
 *    keyEncipherment for RSA, keyAgreement for EC; dual → both sets;
 *  - subject: the mailbox only — §7.1.4.2.2 allows, for mailbox-validated, a commonName that is a
 *    mailbox address and emailAddress; the person's name therefore is not in the certificate;
 *  - validity at most 825 days for both (§6.3.2), enforced when a template is defined and when a
 *    certificate is issued; RSA ≥ 2048 bits, EC P-256 or P-384 (§6.1.5).
 */
import { CachetError } from '../../errors.js';

export type TemplateName = 'signing-only' | 'encryption-only' | 'dual' | 'multipurpose' | 'multipurpose-signing';
export type BrGeneration = 'strict' | 'multipurpose';
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
  /** The BR generation (§7.1.2.3) whose profile the certificate follows. */
  generation: BrGeneration;
  profile: string;
  /** Whether the private key may be archived at the CA for recovery (encryption-only templates only:
   *  an archived signing key would let whoever recovers it sign as the owner). */
  archivableKey: boolean;
}

export const ID_KP_EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
export const ID_KP_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** CA/B Forum S/MIME BR §7.1.6.1: mailbox-validated, strict. */
export const SMIME_MAILBOX_VALIDATED_STRICT = '2.23.140.1.5.1.3';
/** BR §7.1.6.1: mailbox-validated, multipurpose. */
export const SMIME_MAILBOX_VALIDATED_MULTIPURPOSE = '2.23.140.1.5.1.2';
/** BR §6.3.2: "Strict and Multipurpose: 825 days". */
export const MAX_VALIDITY_DAYS: Readonly<Record<BrGeneration, number>> = { strict: 825, multipurpose: 825 };
/** BR §7.1.2.3 (f): extKeyUsage values a mailbox certificate must never carry. */
export const FORBIDDEN_EXTENDED_KEY_USAGES: readonly string[] = ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.3', '1.3.6.1.5.5.7.3.8', '2.5.29.37.0'];

const common = {
  validityDays: 730,
  minimumRsaBits: 2048,
  allowedCurves: ['P-256', 'P-384'] as Array<'P-256' | 'P-384'>,
  exportableKey: true,
  archivableKey: false,
  defaultKeyType: 'rsa-2048' as const,
};
const strict = {
  ...common,
  generation: 'strict' as const,
  extendedKeyUsage: [ID_KP_EMAIL_PROTECTION],
  certificatePolicies: [SMIME_MAILBOX_VALIDATED_STRICT],
  profile: 'CA/B Forum S/MIME BR, mailbox-validated strict',
};
const multipurpose = {
  ...common,
  generation: 'multipurpose' as const,
  extendedKeyUsage: [ID_KP_EMAIL_PROTECTION, ID_KP_CLIENT_AUTH],
  certificatePolicies: [SMIME_MAILBOX_VALIDATED_MULTIPURPOSE],
  profile: 'CA/B Forum S/MIME BR, mailbox-validated multipurpose',
};
const SIGNING_KEY_USAGE = { rsa: ['digitalSignature', 'nonRepudiation'], ec: ['digitalSignature', 'nonRepudiation'] };
const DUAL_KEY_USAGE = { rsa: ['digitalSignature', 'nonRepudiation', 'keyEncipherment'], ec: ['digitalSignature', 'nonRepudiation', 'keyAgreement'] };

export const TEMPLATES: Readonly<Record<TemplateName, CertificateTemplate>> = {
  'signing-only': {
    ...strict,
    name: 'signing-only',
    equivalent: 'Exchange Signature Only',
    description: 'signs mail (digitalSignature, nonRepudiation); cannot be encrypted to',
    role: 'signing',
    keyUsage: SIGNING_KEY_USAGE,
  },
  'encryption-only': {
    ...strict,
    name: 'encryption-only',
    equivalent: 'Exchange User',
    description: 'receives encrypted mail (keyEncipherment for RSA, keyAgreement for EC); cannot sign',
    role: 'encryption',
    keyUsage: { rsa: ['keyEncipherment'], ec: ['keyAgreement'] },
    archivableKey: true,
  },
  dual: {
    ...strict,
    name: 'dual',
    equivalent: 'User (dual use)',
    description: 'signs and receives encrypted mail with one key',
    role: 'dual',
    keyUsage: DUAL_KEY_USAGE,
  },
  multipurpose: {
    ...multipurpose,
    name: 'multipurpose',
    equivalent: 'User (multipurpose)',
    description: 'signs and receives encrypted mail with one key, and signs in (clientAuth)',
    role: 'dual',
    keyUsage: DUAL_KEY_USAGE,
  },
  'multipurpose-signing': {
    ...multipurpose,
    name: 'multipurpose-signing',
    equivalent: 'Smartcard User',
    description: 'signs mail and signs in (clientAuth); cannot be encrypted to',
    role: 'signing',
    keyUsage: SIGNING_KEY_USAGE,
  },
};

/**
 * A template that breaks its BR profile is a bug, refused where it is defined rather than found in
 * issued certificates: validity over the limit, a forbidden purpose, or strict with another purpose.
 * @throws CachetError ERR_INTERNAL naming the template and the rule.
 */
export function checkTemplateProfile(template: CertificateTemplate): void {
  const fail = (rule: string): never => {
    throw new CachetError('ERR_INTERNAL', `the template "${template.name}" breaks the S/MIME BR ${template.generation} profile: ${rule}`);
  };
  if (template.validityDays > MAX_VALIDITY_DAYS[template.generation]) fail(`validity ${template.validityDays} days > ${MAX_VALIDITY_DAYS[template.generation]} (§6.3.2)`);
  if (!template.extendedKeyUsage.includes(ID_KP_EMAIL_PROTECTION)) fail('no id-kp-emailProtection (§7.1.2.3 (f))');
  if (template.extendedKeyUsage.some((eku) => FORBIDDEN_EXTENDED_KEY_USAGES.includes(eku))) fail('a forbidden extKeyUsage (§7.1.2.3 (f))');
  if (template.generation === 'strict' && template.extendedKeyUsage.length !== 1) fail('strict allows id-kp-emailProtection only');
  const policy = template.generation === 'strict' ? SMIME_MAILBOX_VALIDATED_STRICT : SMIME_MAILBOX_VALIDATED_MULTIPURPOSE;
  if (!template.certificatePolicies.includes(policy)) fail(`no policy ${policy} (§7.1.6.1)`);
  if (template.archivableKey && template.role !== 'encryption') fail('only an encryption-only key may be archived');
}
for (const template of Object.values(TEMPLATES)) checkTemplateProfile(template);

/**
 * The validity of a certificate from this template: its own, or the one asked, never over the BR limit.
 * @throws CachetError ERR_POLICY_FORBIDS when more days are asked than the profile allows.
 */
export function validityDaysFor(template: CertificateTemplate, requested?: number): number {
  if (requested === undefined) return template.validityDays;
  const limit = MAX_VALIDITY_DAYS[template.generation];
  if (!Number.isInteger(requested) || requested < 1) throw new CachetError('ERR_USAGE', `a validity must be a whole number of days (not ${requested})`);
  if (requested > limit) {
    throw new CachetError('ERR_POLICY_FORBIDS', `${requested} days is longer than the S/MIME Baseline Requirements allow for a ${template.generation} certificate (${limit} days, §6.3.2)`, { details: { requested, limit } });
  }
  return requested;
}

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
