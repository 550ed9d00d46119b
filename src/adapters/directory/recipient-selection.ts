/**
 * Chooses a recipient's encryption certificate among candidates (RFC 8550 §4, RFC 8551 §2.7.1):
 * valid now, chains to a trust anchor, not revoked, encryption role (keyEncipherment or keyAgreement,
 * emailProtection), names the address. Prefers the certificate the recipient named with
 * SMIMEEncryptionKeyPreference, then the newest. Every candidate set aside says why.
 */
import { certificateEmails } from '../../engine/cms/cert-id.js';
import type { CachetErrorCode } from '../../errors.js';
import { certificateInfo, type CertificateInfo } from '../../engine/pki/certificate-info.js';
import { recipientCertificateProblem } from '../../engine/pki/certificate-role.js';
import type { CertificateValidator } from '../../engine/pki/validator.js';

export type CertificateSource = 'ldap' | 'ldap-cache' | 'addressbook';

export interface Candidate {
  der: Uint8Array;
  source: CertificateSource;
}

export interface RejectedCandidate {
  fingerprint: string;
  subject: string;
  source: CertificateSource;
  code: CachetErrorCode;
  reason: string;
}

export interface SelectedCertificate {
  der: Uint8Array;
  info: CertificateInfo;
  source: CertificateSource;
  /** Chain from the validator, end entity first. */
  chain: Uint8Array[];
}

export interface SelectionOptions {
  validator?: CertificateValidator | undefined;
  now: Date;
  /** SHA-256 fingerprint of the certificate named by the recipient's SMIMEEncryptionKeyPreference. */
  preferredFingerprint?: string | undefined;
  /** Other certificates that may help build chains (the address book's CA certificates). */
  intermediates?: readonly Uint8Array[];
}

export interface SelectionResult {
  certificate?: SelectedCertificate;
  rejected: RejectedCandidate[];
}

export async function selectRecipientCertificate(address: string, candidates: readonly Candidate[], options: SelectionOptions): Promise<SelectionResult> {
  const wanted = address.trim().toLowerCase();
  const rejected: RejectedCandidate[] = [];
  const usable: SelectedCertificate[] = [];
  const seen = new Set<string>();
  // The other candidates too: a directory entry or a PKCS#7 blob often carries the issuing CA beside the user's certificate.
  const pool = [...candidates.map((c) => c.der), ...(options.intermediates ?? [])];
  for (const candidate of candidates) {
    let info: CertificateInfo;
    try {
      info = certificateInfo(candidate.der);
    } catch {
      rejected.push({ fingerprint: '', subject: '(unreadable)', source: candidate.source, code: 'ERR_CERT_MALFORMED', reason: 'the certificate cannot be read' });
      continue;
    }
    if (seen.has(info.fingerprintSha256)) continue;
    seen.add(info.fingerprintSha256);
    // A CA certificate shipped alongside (userSMIMECertificate blobs often carry the chain) is not a
    // candidate; one issued to the address itself is, and is refused below with the reason.
    if (info.isCa && !info.emails.includes(wanted)) continue;
    const reject = (code: CachetErrorCode, reason: string): void => {
      rejected.push({ fingerprint: info.fingerprintSha256, subject: info.subject, source: candidate.source, code, reason });
    };
    const unsuitable = recipientCertificateProblem(candidate.der);
    if (unsuitable) {
      reject('ERR_CERT_USAGE', unsuitable);
      continue;
    }
    if (new Date(info.notAfter).getTime() < options.now.getTime()) {
      reject('ERR_CERT_EXPIRED', `it expired on ${info.notAfter}`);
      continue;
    }
    if (new Date(info.notBefore).getTime() > options.now.getTime()) {
      reject('ERR_CERT_NOT_YET_VALID', `it is not valid before ${info.notBefore}`);
      continue;
    }
    if (!options.validator) {
      reject('ERR_CHAIN_UNTRUSTED', 'no trust anchor is configured, so it cannot be trusted (add one with "cachet trust add" or --trust)');
      continue;
    }
    const result = await options.validator.validate({
      certificate: candidate.der,
      intermediates: pool.filter((d) => d !== candidate.der),
      purpose: 'encryption',
      at: options.now,
    });
    if (result.revocation?.status === 'revoked') {
      reject('ERR_CERT_REVOKED', `it was revoked${result.revocation.revokedAt ? ` on ${result.revocation.revokedAt}` : ''}${result.revocation.reason ? ` (${result.revocation.reason})` : ''}`);
      continue;
    }
    if (!result.trusted) {
      reject(result.error?.code ?? 'ERR_CHAIN_UNTRUSTED', result.error?.message ?? 'it does not chain to a trusted anchor');
      continue;
    }
    // Checked last, so a certificate filed under the wrong entry still reports its own defects first.
    if (!certificateEmails(candidate.der).map((e) => e.toLowerCase()).includes(wanted)) {
      reject('ERR_ADDRESS_MISMATCH', `it is issued to ${info.emails.join(', ') || 'no e-mail address'}, not ${address}`);
      continue;
    }
    usable.push({ der: candidate.der, info, source: candidate.source, chain: result.chain });
  }
  usable.sort((a, b) => {
    const pa = a.info.fingerprintSha256 === options.preferredFingerprint ? 1 : 0;
    const pb = b.info.fingerprintSha256 === options.preferredFingerprint ? 1 : 0;
    if (pa !== pb) return pb - pa;
    return new Date(b.info.notBefore).getTime() - new Date(a.info.notBefore).getTime();
  });
  const [chosen] = usable;
  return chosen ? { certificate: chosen, rejected } : { rejected };
}
