/**
 * Key continuity, as SSH does for host keys: the first certificate seen for an address is remembered;
 * when a known address later presents a different key, or a certificate from a different CA, that is
 * said plainly and the certificate waits until the user (`cachet addressbook accept`) or policy accepts it.
 * A renewal that keeps both the key and the issuing CA is not a change.
 */
import { certificateIssuer, subjectPublicKeyInfo } from '../../engine/cms/cert-id.js';
import { certificateFingerprint } from '../../engine/pki/certificate-info.js';
import { certificateRole } from '../../engine/pki/certificate-role.js';

export interface KnownCertificate {
  fingerprint: string;
  /** base64 of the DER certificate. */
  der: string;
  accepted: boolean;
}

export interface KeyChange {
  address: string;
  kind: 'new-key' | 'new-ca' | 'new-key-and-ca';
  fingerprint: string;
  previousFingerprints: string[];
  issuer: string;
  previousIssuers: string[];
  /** A sentence for the user. */
  message: string;
}

/** Signing or encryption (dual counts as encryption): keys are compared within a role. */
export function certificateRoleClass(der: Uint8Array): 'signing' | 'encryption' {
  try {
    return certificateRole(der).role === 'signing' ? 'signing' : 'encryption';
  } catch {
    return 'encryption';
  }
}

function keyId(der: Uint8Array): string {
  return Buffer.from(subjectPublicKeyInfo(der)).toString('base64');
}

/**
 * Compares a certificate with the accepted ones for the address. undefined when the address is new
 * (nothing accepted yet), when the certificate is itself accepted, or when it keeps an accepted key and CA.
 */
export function detectKeyChange(address: string, der: Uint8Array, known: readonly KnownCertificate[]): KeyChange | undefined {
  const accepted = known.filter((k) => k.accepted);
  if (accepted.length === 0) return undefined;
  const fingerprint = certificateFingerprint(der);
  if (accepted.some((k) => k.fingerprint === fingerprint)) return undefined;
  const allDer = accepted.map((k) => Buffer.from(k.der, 'base64'));
  // Keys are compared within a role: a correspondent's signing and encryption certificates
  // legitimately hold different keys. The first certificate of a role must still come from a known CA.
  const role = certificateRoleClass(der);
  const sameRole = allDer.filter((d) => certificateRoleClass(d) === role);
  const acceptedDer = sameRole.length > 0 ? sameRole : allDer;
  const issuer = certificateIssuer(der);
  const key = keyId(der);
  const previousIssuers = [...new Set(acceptedDer.map((d) => certificateIssuer(d)))];
  const sameKey = sameRole.length === 0 || acceptedDer.some((d) => keyId(d) === key);
  const sameCa = previousIssuers.includes(issuer);
  if (sameKey && sameCa) return undefined;
  const kind = !sameKey && !sameCa ? 'new-key-and-ca' : !sameKey ? 'new-key' : 'new-ca';
  const what = kind === 'new-key-and-ca' ? 'a different key from a different CA' : kind === 'new-key' ? 'a different key' : `a certificate from a different CA (${issuer})`;
  return {
    address,
    kind,
    fingerprint,
    previousFingerprints: accepted.map((k) => k.fingerprint),
    issuer,
    previousIssuers,
    message:
      `WARNING: ${address} now presents ${what} than the one you know (SHA-256 ${fingerprint}; known: ${accepted.map((k) => k.fingerprint).join(', ')}). ` +
      `It may be a legitimate new certificate or an impostor; check with ${address} by another channel, then run "cachet addressbook accept ${address} ${fingerprint}".`,
  };
}
