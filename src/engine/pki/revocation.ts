/**
 * Revocation checking for a built chain (RFC 5280 §6.3 with CRLs, RFC 6960 with OCSP) and the
 * policy around it: for each link, the CRLs the caller gave, then the certificate's CRL distribution
 * points (when fetching is on), then OCSP (when on); 'soft-fail' lets an unknown status pass,
 * 'hard-fail' does not. The validator calls this only for chains that end at a trust anchor: a CRL
 * or OCSP URL in a stranger's certificate is a tracking beacon and is never contacted.
 */
import 'reflect-metadata';
import { X509Certificate, X509Crl } from '@peculiar/x509';
import { createCrlClient, crlDistributionPointUrls, type CrlClient } from './crl.js';
import type { PkiFetcher } from './fetcher.js';
import { createOcspClient, ocspUrls, REVOCATION_REASONS, type OcspClient } from './ocsp.js';
import type { RevocationReport } from './validator.js';

export type RevocationMode = 'off' | 'soft-fail' | 'hard-fail';

/** One certificate of a chain, as DER and parsed. */
export interface ChainLink {
  der: Uint8Array;
  cert: X509Certificate;
}

export interface RevocationOptions {
  mode: RevocationMode;
  /** CRLs (already parsed) given by the caller. */
  crls: X509Crl[];
  /** The network for OCSP and distribution points; without it (and without clients) neither is asked. */
  fetcher?: PkiFetcher | undefined;
  ocsp?: { enabled: boolean; client?: OcspClient; defaultResponderUrl?: string };
  crlFetch?: { enabled: boolean; client?: CrlClient };
}

export interface RevocationOutcome {
  report: RevocationReport;
  /** The certificate found revoked at the validation time, when one was. */
  revoked?: { who: ChainLink; date: Date; reason?: string };
}

export interface RevocationChecker {
  /** `chain`: end entity first, the trust anchor last. */
  check(chain: ChainLink[], at: Date): Promise<RevocationOutcome>;
}

export function createRevocationChecker(options: RevocationOptions): RevocationChecker {
  const { mode, crls } = options;
  const { fetcher } = options;
  const ocsp = options.ocsp?.enabled ? (options.ocsp.client ?? (fetcher ? createOcspClient({ fetcher }) : undefined)) : undefined;
  const defaultResponderUrl = options.ocsp?.defaultResponderUrl;
  const crlClient = options.crlFetch?.enabled ? (options.crlFetch.client ?? (fetcher ? createCrlClient({ fetcher }) : undefined)) : undefined;

  type LinkAnswer = { state: 'good'; method: 'crl' | 'ocsp'; source: string } | { state: 'revoked'; method: 'crl' | 'ocsp'; source: string; date: Date; reason?: string } | { state: 'unknown' };

  /** Given CRLs first; then, for chains that end at an anchor (the only ones that get here), the distribution points. */
  async function crlAnswer(subject: ChainLink, issuer: ChainLink, at: Date): Promise<LinkAnswer> {
    let checked: string | undefined;
    const candidates: Array<{ crl: X509Crl; source: string }> = crls.map((crl) => ({ crl, source: 'CRL' }));
    const consult = async (list: Array<{ crl: X509Crl; source: string }>): Promise<LinkAnswer | undefined> => {
      for (const { crl, source } of list) {
        if (crl.issuer !== issuer.cert.subject) continue;
        if (!(await crl.verify({ publicKey: issuer.cert.publicKey }).catch(() => false))) continue;
        // A CRL past its nextUpdate says nothing about the validation time (RFC 5280 §6.3.3 a).
        if (crl.nextUpdate && crl.nextUpdate < at) continue;
        checked ??= source;
        const entry = crl.findRevoked(subject.cert);
        if (entry && entry.revocationDate <= at) {
          return { state: 'revoked', method: 'crl', source, date: entry.revocationDate, ...(entry.reason !== undefined ? { reason: REVOCATION_REASONS[Number(entry.reason)] ?? String(entry.reason) } : {}) };
        }
      }
      return undefined;
    };
    const fromFiles = await consult(candidates);
    if (fromFiles) return fromFiles;
    if (!checked && crlClient) {
      for (const url of crlDistributionPointUrls(subject.der)) {
        try {
          const { crl } = await crlClient.get(url);
          const answer = await consult([{ crl, source: url }]);
          if (answer) return answer;
          if (checked) break;
        } catch {
          // unreachable or unreadable: try the next point; the status stays unknown otherwise
        }
      }
    }
    return checked ? { state: 'good', method: 'crl', source: checked } : { state: 'unknown' };
  }

  /** Only called for chains that end at an anchor (validate() returns before, for the others). */
  async function ocspAnswer(subject: ChainLink, issuer: ChainLink, at: Date): Promise<LinkAnswer> {
    if (!ocsp) return { state: 'unknown' };
    const url = ocspUrls(subject.der)[0] ?? defaultResponderUrl;
    if (!url) return { state: 'unknown' };
    try {
      const answer = await ocsp.check({ certificate: subject.der, issuer: issuer.der, url });
      if (answer.status === 'revoked' && answer.revokedAt && answer.revokedAt <= at) {
        return { state: 'revoked', method: 'ocsp', source: url, date: answer.revokedAt, ...(answer.reason !== undefined ? { reason: answer.reason } : {}) };
      }
      // Revoked only after the validation time: good at that time.
      if (answer.status === 'good' || answer.status === 'revoked') return { state: 'good', method: 'ocsp', source: url };
      return { state: 'unknown' };
    } catch {
      // Unreachable, late, unsigned or stale: the status stays unknown, and policy decides.
      return { state: 'unknown' };
    }
  }

  async function checkRevocation(chain: ChainLink[], at: Date): Promise<RevocationOutcome> {
    if (mode === 'off') return { report: { method: 'none', status: 'not-checked' } };
    let checkedAll = true;
    let method: 'crl' | 'ocsp' = 'crl';
    let source = 'CRL';
    for (let i = 0; i < chain.length - 1; i++) {
      const subject = chain[i]!;
      const issuer = chain[i + 1]!;
      let answer = await crlAnswer(subject, issuer, at);
      if (answer.state === 'unknown') answer = await ocspAnswer(subject, issuer, at);
      if (answer.state === 'revoked') {
        return {
          report: { method: answer.method, status: 'revoked', revokedAt: answer.date.toISOString(), ...(answer.reason !== undefined ? { reason: answer.reason } : {}), source: answer.source },
          revoked: { who: subject, date: answer.date },
        };
      }
      if (answer.state === 'unknown') checkedAll = false;
      // The report names the end entity's answer: the one the user asked about.
      else if (i === 0) {
        method = answer.method;
        source = answer.source;
      }
    }
    return { report: checkedAll ? { method, status: 'good', source } : { method: 'none', status: 'unknown' } };
  }

  return { check: checkRevocation };
}
