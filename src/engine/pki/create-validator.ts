/**
 * Certificate path validation (RFC 5280 §6, as it applies to S/MIME per RFC 8550): builds a chain
 * from the end entity through the message's and the caller's intermediates to a trust anchor,
 * checks every signature, validity at the validation time (and the end entity's at the signing time),
 * basicConstraints and pathLenConstraint, keyUsage and extendedKeyUsage for the purpose, and
 * revocation against the CRLs the caller supplies. No network and no storage: anchors and CRLs come
 * in as bytes.
 *
 * The answers are sentences a user can act on: "the certificate of alice@example.com expired on
 * 2021-01-01", "… issued by a CA you do not trust: Bars Root CA", "… was revoked on …".
 */
import 'reflect-metadata';
import {
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509Certificate,
  X509Crl,
} from '@peculiar/x509';
import type { CachetErrorCode } from '../errors.js';
import { createOcspClient, ocspUrls, type OcspClient, type OcspFetch } from './ocsp.js';
import type { CertificatePurpose, CertificateValidator, ChainValidationRequest, ChainValidationResult, RevocationReport } from './validator.js';

const EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
const ANY_EKU = '2.5.29.37.0';
const MAX_CHAIN_LENGTH = 10;

export interface ValidatorOptions {
  /** DER or PEM trust anchors (roots, or intermediates the admin chose to trust directly). */
  trustAnchors: Uint8Array[];
  /** Other CA certificates that may help to build chains. */
  intermediates?: Uint8Array[];
  /** CRLs (DER or PEM) to check revocation against. */
  crls?: Uint8Array[];
  /** 'off': no revocation check; 'soft-fail' (default): unknown status passes; 'hard-fail': unknown fails. */
  revocation?: 'off' | 'soft-fail' | 'hard-fail';
  /**
   * OCSP (RFC 6960), asked when no CRL answered for a link of a chain that ends at a trust anchor —
   * never for a stranger's chain, whose responder URL is a tracking beacon (asking it tells the sender
   * the mail was read). Off unless `enabled`.
   */
  ocsp?: {
    enabled: boolean;
    /** HTTP through this function (default: the global fetch). */
    fetch?: OcspFetch;
    /** A client to share (and so share its cache) between validators. */
    client?: OcspClient;
    /** A responder to ask for certificates that name none in their authorityInfoAccess. */
    defaultResponderUrl?: string;
  };
}

interface Parsed {
  der: Uint8Array;
  cert: X509Certificate;
}

function parse(bytes: Uint8Array): Parsed[] {
  const text = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const pem = Buffer.from(bytes).toString('latin1');
    return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => {
      const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
      return { der, cert: new X509Certificate(der) };
    });
  }
  return [{ der: bytes, cert: new X509Certificate(Buffer.from(bytes)) }];
}

function parseCrls(bytes: Uint8Array): X509Crl[] {
  const text = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const pem = Buffer.from(bytes).toString('latin1');
    return [...pem.matchAll(/-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g)].map((m) => new X509Crl(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
  }
  return [new X509Crl(Buffer.from(bytes))];
}

function commonName(name: string): string {
  return /CN=([^,]+)/.exec(name)?.[1] ?? name;
}

export function certificateLabel(cert: X509Certificate): string {
  const email = /E=([^,]+)/.exec(cert.subject)?.[1];
  return email ?? commonName(cert.subject);
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

async function issuedBy(child: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  if (child.issuer !== issuer.subject) return false;
  try {
    return await child.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

function failure(code: CachetErrorCode, message: string, chain: Uint8Array[], extra: Partial<ChainValidationResult> = {}): ChainValidationResult {
  return { trusted: false, chain, error: { code, message }, ...extra };
}

function usageProblem(cert: X509Certificate, purpose: CertificatePurpose): string | undefined {
  const keyUsage = cert.getExtension(KeyUsagesExtension);
  if (keyUsage) {
    const usages = keyUsage.usages;
    const ok =
      purpose === 'signing'
        ? (usages & (KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation)) !== 0
        : (usages & (KeyUsageFlags.keyEncipherment | KeyUsageFlags.keyAgreement)) !== 0;
    if (!ok) return purpose === 'signing' ? 'may not be used to sign' : 'may not be used for encryption';
  }
  const eku = cert.getExtension(ExtendedKeyUsageExtension);
  if (eku) {
    const usages = eku.usages.map(String);
    if (!usages.includes(EMAIL_PROTECTION) && !usages.includes(ANY_EKU)) return 'is not issued for e-mail protection';
  }
  return undefined;
}

export function createCertificateValidator(options: ValidatorOptions): CertificateValidator {
  const anchors = options.trustAnchors.flatMap(parse);
  const known = (options.intermediates ?? []).flatMap(parse);
  const crls = (options.crls ?? []).flatMap(parseCrls);
  const mode = options.revocation ?? 'soft-fail';

  const ocsp = options.ocsp?.enabled ? (options.ocsp.client ?? createOcspClient(options.ocsp.fetch ? { fetch: options.ocsp.fetch } : {})) : undefined;
  const defaultResponderUrl = options.ocsp?.defaultResponderUrl;

  type LinkAnswer = { state: 'good'; method: 'crl' | 'ocsp'; source: string } | { state: 'revoked'; method: 'crl' | 'ocsp'; source: string; date: Date; reason?: string } | { state: 'unknown' };

  async function crlAnswer(subject: Parsed, issuer: Parsed, at: Date): Promise<LinkAnswer> {
    let checked = false;
    for (const crl of crls) {
      if (crl.issuer !== issuer.cert.subject) continue;
      if (!(await crl.verify({ publicKey: issuer.cert.publicKey }).catch(() => false))) continue;
      checked = true;
      const entry = crl.findRevoked(subject.cert);
      if (entry && entry.revocationDate <= at) {
        return { state: 'revoked', method: 'crl', source: 'CRL', date: entry.revocationDate, ...(entry.reason !== undefined ? { reason: String(entry.reason) } : {}) };
      }
    }
    return checked ? { state: 'good', method: 'crl', source: 'CRL' } : { state: 'unknown' };
  }

  /** Only called for chains that end at an anchor (validate() returns before, for the others). */
  async function ocspAnswer(subject: Parsed, issuer: Parsed, at: Date): Promise<LinkAnswer> {
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

  async function checkRevocation(chain: Parsed[], at: Date): Promise<{ report: RevocationReport; revoked?: { who: Parsed; date: Date; reason?: string } }> {
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

  return {
    async validate(request: ChainValidationRequest): Promise<ChainValidationResult> {
      let leaf: Parsed;
      try {
        leaf = parse(request.certificate)[0]!;
      } catch {
        return failure('ERR_CERT_MALFORMED', 'the certificate cannot be read', []);
      }
      const pool = [...request.intermediates.flatMap((der) => {
        try {
          return parse(der);
        } catch {
          return [];
        }
      }), ...known];
      const label = certificateLabel(leaf.cert);
      const chain: Parsed[] = [leaf];
      let anchored = anchors.some((a) => a.cert.equal(leaf.cert));
      while (!anchored && chain.length < MAX_CHAIN_LENGTH) {
        const current = chain[chain.length - 1]!;
        let anchor: Parsed | undefined;
        for (const candidate of anchors) if (await issuedBy(current.cert, candidate.cert)) anchor = candidate;
        if (anchor) {
          chain.push(anchor);
          anchored = true;
          break;
        }
        let next: Parsed | undefined;
        for (const candidate of pool) {
          if (chain.some((c) => c.cert.equal(candidate.cert))) continue;
          if (await issuedBy(current.cert, candidate.cert)) {
            next = candidate;
            break;
          }
        }
        if (!next) break;
        chain.push(next);
      }
      const ders = chain.map((c) => c.der);
      const validAtSigningTime = request.signingTime ? request.signingTime >= leaf.cert.notBefore && request.signingTime <= leaf.cert.notAfter : undefined;
      const withSigningTime = validAtSigningTime === undefined ? {} : { validAtSigningTime };
      if (!anchored) {
        const top = chain[chain.length - 1]!.cert;
        const selfSigned = top.subject === top.issuer;
        return selfSigned
          ? failure('ERR_CHAIN_UNTRUSTED', `the certificate of ${label} was issued by a CA you do not trust: ${commonName(top.subject)}`, ders, withSigningTime)
          : failure('ERR_CHAIN_UNTRUSTED', `the certificate of ${label} was issued by a CA you do not trust: ${commonName(top.issuer)} (its certificate is not available)`, ders, withSigningTime);
      }
      for (const [index, { cert }] of chain.entries()) {
        const who = index === 0 ? `the certificate of ${label}` : `the CA certificate ${commonName(cert.subject)}`;
        if (request.at > cert.notAfter) return failure('ERR_CERT_EXPIRED', `${who} expired on ${day(cert.notAfter)}`, ders, withSigningTime);
        if (request.at < cert.notBefore) return failure('ERR_CERT_NOT_YET_VALID', `${who} is not valid before ${day(cert.notBefore)}`, ders, withSigningTime);
        // A v1 self-signed root the user chose to trust carries no basicConstraints: it is exempt.
        const legacyRoot = cert.subject === cert.issuer && !cert.getExtension(BasicConstraintsExtension) && anchors.some((a) => a.cert.equal(cert));
        if (index > 0 && !legacyRoot) {
          const constraints = cert.getExtension(BasicConstraintsExtension);
          if (!constraints?.ca) return failure('ERR_CERT_USAGE', `${who} is not a CA certificate, yet it issued another`, ders, withSigningTime);
          const below = index - 1; // CA certificates below this one, end entity excluded
          if (constraints.pathLength !== undefined && below > constraints.pathLength) {
            return failure('ERR_CERT_USAGE', `${who} may not issue that deep a chain (pathLen ${constraints.pathLength})`, ders, withSigningTime);
          }
          const keyUsage = cert.getExtension(KeyUsagesExtension);
          if (keyUsage && (keyUsage.usages & KeyUsageFlags.keyCertSign) === 0) return failure('ERR_CERT_USAGE', `${who} may not issue certificates`, ders, withSigningTime);
        }
      }
      const problem = usageProblem(leaf.cert, request.purpose);
      if (problem) return failure('ERR_CERT_USAGE', `the certificate of ${label} ${problem}`, ders, withSigningTime);
      const { report, revoked } = await checkRevocation(chain, request.at);
      if (revoked) {
        const who = revoked.who === leaf ? `the certificate of ${label}` : `the CA certificate ${commonName(revoked.who.cert.subject)}`;
        return failure('ERR_CERT_REVOKED', `${who} was revoked on ${day(revoked.date)}`, ders, { ...withSigningTime, revocation: report });
      }
      if (report.status === 'unknown' && mode === 'hard-fail') {
        return failure('ERR_REVOCATION_UNKNOWN', `the revocation status of ${label}'s certificate could not be checked`, ders, { ...withSigningTime, revocation: report });
      }
      return { trusted: true, chain: ders, revocation: report, ...withSigningTime };
    },
  };
}
