/** How certificates are shown to a person by the `cert` and `trust` commands. */
import type { CertificateInfo } from '../../engine/pki/certificate-info.js';

export function colonHex(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}

export function describeKey(info: CertificateInfo): string {
  if (info.curve) return `${info.keyAlgorithm} ${info.curve}`;
  return info.keyBits ? `${info.keyAlgorithm} ${info.keyBits} bits` : info.keyAlgorithm;
}

function validityNote(info: CertificateInfo, now: Date): string {
  if (now > new Date(info.notAfter)) return ' (EXPIRED)';
  if (now < new Date(info.notBefore)) return ' (NOT YET VALID)';
  return '';
}

/** A block of "Label: value" lines, indented by two spaces. */
export function certificateText(info: CertificateInfo, now: Date = new Date()): string {
  const rows: Array<[string, string]> = [
    ['Subject', info.subject],
    ['E-mail', info.emails.length > 0 ? info.emails.join(', ') : '(none)'],
    ['Issuer', info.issuer],
    ['Serial', info.serialNumber],
    ['Valid', `${info.notBefore} to ${info.notAfter}${validityNote(info, now)}`],
    ['Key', describeKey(info)],
    ['Key usage', info.keyUsage.length > 0 ? info.keyUsage.join(', ') : '(not restricted)'],
    ['Extended key usage', info.extendedKeyUsage.length > 0 ? info.extendedKeyUsage.join(', ') : '(not restricted)'],
    ['CA', info.isCa ? (info.selfSigned ? 'yes (self-signed root)' : 'yes') : 'no'],
    ['Role', `${info.role} (${info.roleReasons.join('; ')})`],
    ['SHA-256', colonHex(info.fingerprintSha256)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  return rows.map(([label, value]) => `  ${`${label}:`.padEnd(width)} ${value}`).join('\n');
}
