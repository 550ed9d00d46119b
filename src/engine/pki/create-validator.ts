/**
 * Certificate path validation (RFC 5280 §6, as it applies to S/MIME per RFC 8550): builds a chain
 * from the end entity through the message's and the caller's intermediates — and, with a fetcher,
 * the issuers named by authorityInfoAccess caIssuers — to a trust anchor, checks every signature,
 * validity at the validation time (and the end entity's at the signing time), basicConstraints and
 * pathLenConstraint, name constraints on e-mail addresses, keyUsage and extendedKeyUsage for the
 * purpose, weak certificates (weak-certificates.ts), and revocation against the CRLs the caller
 * supplies, then distribution points and OCSP when a fetcher is given. No storage and no network of
 * its own: anchors and CRLs come in as bytes, HTTP through the injected PkiFetcher (fetcher.ts).
 *
 * The answers are sentences a user can act on: "the certificate of alice@example.com expired on
 * 2021-01-01", "… issued by a CA you do not trust: Bars Root CA", "… was revoked on …".
 */
import 'reflect-metadata';
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509Crl,
} from '@peculiar/x509';
import { isCachetError, type CachetErrorCode } from '../../errors.js';
import { certificateEmails } from '../cms/cert-id.js';
import { certificatePublicKey, parseCertificate } from './parse-certificate.js';
import type { CrlClient } from './crl.js';
import type { PkiFetcher } from './fetcher.js';
import { caIssuersUrls, fetchIssuerCertificates, ISSUER_FETCH_LIMITS } from './issuer-fetch.js';
import type { OcspClient } from './ocsp.js';
import { nameConstraintProblem, unknownCriticalExtensions } from './path-validation.js';
import { createRevocationChecker, type ChainLink, type RevocationMode } from './revocation.js';
import type { CertificatePurpose, CertificateValidator, ChainValidationRequest, ChainValidationResult } from './validator.js';
import { chainWeaknesses } from './weak-certificates.js';

const EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
const ANY_EKU = '2.5.29.37.0';
/** Certificates in one chain, end entity and anchor included (RFC 5280 sets none; NSS and OpenSSL allow deeper, no mail PKI needs it). */
export const MAX_CHAIN_LENGTH = 10;

export interface ValidatorOptions {
  /** DER or PEM trust anchors (roots, or intermediates the admin chose to trust directly). */
  trustAnchors: Uint8Array[];
  /** Other CA certificates that may help to build chains (the address book's, a directory's). */
  intermediates?: Uint8Array[];
  /** CRLs (DER or PEM) to check revocation against. */
  crls?: Uint8Array[];
  /** 'off': no revocation check; 'soft-fail' (default): unknown status passes; 'hard-fail': unknown fails. */
  revocation?: RevocationMode;
  /**
   * The network, when the caller allows one. With it: missing issuers are fetched from the
   * certificates' caIssuers URLs (unless `fetchIssuers` is false), and for chains that end at a
   * trust anchor the CRL distribution points and OCSP responders are asked (unless `crlFetch` /
   * `ocsp` say otherwise, or revocation is off). Without it nothing is fetched.
   */
  fetcher?: PkiFetcher | undefined;
  /** false: do not fetch issuer certificates (AIA caIssuers) even with a fetcher. */
  fetchIssuers?: boolean;
  /**
   * OCSP (RFC 6960), asked when no CRL answered for a link of a chain that ends at a trust anchor —
   * never for a stranger's chain, whose responder URL is a tracking beacon (asking it tells the sender
   * the mail was read). On with a fetcher unless `enabled` is false.
   */
  ocsp?: {
    enabled: boolean;
    /** A client to share (and so share its cache) between validators. */
    client?: OcspClient;
    /** A responder to ask for certificates that name none in their authorityInfoAccess. */
    defaultResponderUrl?: string;
  };
  /**
   * CRLs fetched from the certificates' distribution points, for chains that end at a trust anchor
   * and only when no given CRL answered. On with a fetcher unless `enabled` is false.
   */
  crlFetch?: {
    enabled: boolean;
    /** A client to share (and so share its cache) between validators. */
    client?: CrlClient;
  };
  /**
   * Accept legacy certificates — SHA-1 signed, RSA under 2048 bits, a CA certificate as the signer —
   * with a warning instead of refusing them (the policy's allowLegacyCertificates). Default false.
   */
  legacyCertificates?: boolean;
}

type Parsed = ChainLink;

function parse(bytes: Uint8Array): Parsed[] {
  // Anywhere in the file: `openssl ca` writes a text dump before the PEM block.
  if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('-----BEGIN CERTIFICATE-----')) {
    const pem = Buffer.from(bytes).toString('latin1');
    return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => {
      const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
      return { der, cert: parseCertificate(der) };
    });
  }
  return [{ der: bytes, cert: parseCertificate(bytes) }];
}

/** The readable certificates among `list`; an unreadable helper is simply not a candidate. */
function parseAll(list: readonly Uint8Array[]): Parsed[] {
  return list.flatMap((der) => {
    try {
      return parse(der);
    } catch {
      return [];
    }
  });
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

/** How messages name a certificate's owner: the first e-mail address (SAN, then emailAddress), else the CN. */
export function certificateLabel(cert: X509Certificate): string {
  let emails: string[] = [];
  try {
    emails = certificateEmails(new Uint8Array(cert.rawData));
  } catch {
    // an unreadable SAN leaves the subject's CN as the label
  }
  return emails[0] ?? /E=([^,]+)/.exec(cert.subject)?.[1] ?? commonName(cert.subject);
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** keyIdentifier of the authorityKeyIdentifier, or subjectKeyIdentifier, as hex; undefined when absent. */
function keyIdentifiers(cert: X509Certificate): { aki?: string; ski?: string } {
  const aki = cert.getExtension(AuthorityKeyIdentifierExtension)?.keyId;
  const ski = cert.getExtension(SubjectKeyIdentifierExtension)?.keyId;
  return { ...(aki ? { aki: aki.toLowerCase() } : {}), ...(ski ? { ski: ski.toLowerCase() } : {}) };
}

async function issuedBy(child: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  if (child.issuer !== issuer.subject) return false;
  // RFC 5280 §4.2.1.1: the AKI names the issuer's key, which tells apart CAs of the same name
  // (a renewed root, a re-keyed intermediate) without a signature check.
  const { aki } = keyIdentifiers(child);
  const { ski } = keyIdentifiers(issuer);
  if (aki && ski && aki !== ski) return false;
  try {
    if (await child.verify({ publicKey: issuer.publicKey, signatureOnly: true })) return true;
  } catch {
    // checked below, or not issued by it
  }
  return dsaSignatureVerifies(child, issuer);
}

/**
 * WebCrypto (under @peculiar/x509) has no DSA, so a DSA-signed certificate of an old PKI (RFC 4134's
 * CarlDSS) is checked with OpenSSL's verifier through node:crypto instead.
 */
function dsaSignatureVerifies(child: X509Certificate, issuer: X509Certificate): boolean {
  const issuerKey = certificatePublicKey(issuer);
  if (issuerKey?.asymmetricKeyType !== 'dsa') return false;
  try {
    return new NodeX509Certificate(Buffer.from(child.rawData)).verify(issuerKey);
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

function safely<T>(run: () => T, fallback: T): T {
  try {
    return run();
  } catch {
    return fallback;
  }
}

export function createCertificateValidator(options: ValidatorOptions): CertificateValidator {
  const anchors = options.trustAnchors.flatMap(parse);
  // One unreadable certificate from the address book or the directory must not stop every validation.
  const known = parseAll(options.intermediates ?? []);
  const crls = (options.crls ?? []).flatMap(parseCrls);
  const mode = options.revocation ?? 'soft-fail';
  const { fetcher } = options;
  const issuerFetcher = options.fetchIssuers === false ? undefined : fetcher;
  const ocspOptions = options.ocsp ?? (fetcher ? { enabled: true } : undefined);
  const crlFetchOptions = options.crlFetch ?? (fetcher ? { enabled: true } : undefined);

  const revocation = createRevocationChecker({
    mode,
    crls,
    fetcher,
    ...(ocspOptions ? { ocsp: ocspOptions } : {}),
    ...(crlFetchOptions ? { crlFetch: crlFetchOptions } : {}),
  });

  /** The issuers `current` names in its caIssuers URLs, within the validation's fetch budget. */
  async function fetchedIssuers(current: Parsed, budget: { left: number }): Promise<Parsed[]> {
    if (!issuerFetcher) return [];
    const found: Parsed[] = [];
    for (const url of caIssuersUrls(current.cert)) {
      if (budget.left <= 0) break;
      budget.left -= 1;
      found.push(...parseAll(await fetchIssuerCertificates(issuerFetcher, url)));
    }
    return found;
  }

  return {
    async validate(request: ChainValidationRequest): Promise<ChainValidationResult> {
      let leaf: Parsed;
      try {
        leaf = parse(request.certificate)[0]!;
      } catch (error) {
        if (isCachetError(error, 'ERR_LIMIT_EXCEEDED')) return failure('ERR_LIMIT_EXCEEDED', error.message, []);
        return failure('ERR_CERT_MALFORMED', 'the certificate cannot be read', []);
      }
      const pool = [...parseAll(request.intermediates), ...known];
      const label = certificateLabel(leaf.cert);
      const chain: Parsed[] = [leaf];
      const fetchBudget = { left: ISSUER_FETCH_LIMITS.maxFetchesPerValidation };
      let anchored = anchors.some((a) => a.cert.equal(leaf.cert));
      let tooLong = false;
      while (!anchored) {
        const current = chain[chain.length - 1]!;
        let anchor: Parsed | undefined;
        for (const candidate of anchors) if (await issuedBy(current.cert, candidate.cert)) anchor = candidate;
        if (anchor) {
          if (chain.length >= MAX_CHAIN_LENGTH) {
            tooLong = true;
            break;
          }
          chain.push(anchor);
          anchored = true;
          break;
        }
        const issuerAmong = async (candidates: Parsed[]): Promise<Parsed | undefined> => {
          for (const candidate of candidates) {
            if (chain.some((c) => c.cert.equal(candidate.cert))) continue;
            if (await issuedBy(current.cert, candidate.cert)) return candidate;
          }
          return undefined;
        };
        // What the message and the caller gave first; the network only for an issuer still missing.
        let next = await issuerAmong(pool);
        if (!next && current.cert.subject !== current.cert.issuer) {
          const fetched = await fetchedIssuers(current, fetchBudget);
          pool.push(...fetched);
          next = await issuerAmong(fetched);
        }
        if (!next) break;
        if (chain.length >= MAX_CHAIN_LENGTH) {
          tooLong = true;
          break;
        }
        chain.push(next);
      }
      const ders = chain.map((c) => c.der);
      const validAtSigningTime = request.signingTime ? request.signingTime >= leaf.cert.notBefore && request.signingTime <= leaf.cert.notAfter : undefined;
      const withSigningTime = validAtSigningTime === undefined ? {} : { validAtSigningTime };
      if (tooLong) {
        return failure('ERR_CHAIN_TOO_LONG', `the certificate of ${label} has a chain of more than ${MAX_CHAIN_LENGTH} certificates, longer than Cachet follows`, ders, withSigningTime);
      }
      if (!anchored) {
        const top = chain[chain.length - 1]!.cert;
        const selfSigned = top.subject === top.issuer;
        return selfSigned
          ? failure('ERR_CHAIN_UNTRUSTED', `the certificate of ${label} was issued by a CA you do not trust: ${commonName(top.subject)}`, ders, withSigningTime)
          : failure('ERR_CHAIN_UNTRUSTED', `the certificate of ${label} was issued by a CA you do not trust: ${commonName(top.issuer)} (its certificate is not available)`, ders, withSigningTime);
      }
      for (const [index, { cert, der }] of chain.entries()) {
        const who = index === 0 ? `the certificate of ${label}` : `the CA certificate ${commonName(cert.subject)}`;
        const isAnchor = index === chain.length - 1;
        // RFC 5280 §4.2: a certificate with a critical extension we do not process MUST be rejected.
        // The anchor is exempt: its extensions are not part of path processing (§6.1.1 d).
        const unknown = isAnchor ? [] : safely(() => unknownCriticalExtensions(der), []);
        if (unknown.length > 0) return failure('ERR_CERT_USAGE', `${who} has a critical extension Cachet does not understand (${unknown.join(', ')}), so it cannot be trusted`, ders, withSigningTime);
        if (index > 0) {
          // §6.1.4 (g): the CA's name constraints bind every certificate below it.
          for (const below of chain.slice(0, index)) {
            // An unreadable nameConstraints extension fails closed: it was meant to restrict.
            const problem = safely(() => nameConstraintProblem(der, below.der), { address: 'any', rule: 'not-permitted' as const });
            if (problem) {
              const verb = problem.rule === 'excluded' ? 'excludes' : 'does not permit';
              return failure('ERR_CERT_USAGE', `the CA ${commonName(cert.subject)} ${verb} the address ${problem.address} (name constraints), so the certificate of ${label} cannot be trusted`, ders, withSigningTime);
            }
          }
        }
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
      const weaknesses = chainWeaknesses(chain, chain.map((c, index) => (index === 0 ? `the certificate of ${label}` : `the CA certificate ${commonName(c.cert.subject)}`)));
      const [weakest] = weaknesses;
      if (weakest && options.legacyCertificates !== true) {
        return failure(weakest.code, `${weakest.message} (the S/MIME Baseline Requirements forbid it; an administrator can allow legacy certificates by policy)`, ders, withSigningTime);
      }
      const warnings = weaknesses.length > 0 ? { warnings: weaknesses.map((w) => `${w.message} (accepted: the policy allows legacy certificates)`) } : {};
      const { report, revoked } = await revocation.check(chain, request.at);
      if (revoked) {
        const who = revoked.who === leaf ? `the certificate of ${label}` : `the CA certificate ${commonName(revoked.who.cert.subject)}`;
        return failure('ERR_CERT_REVOKED', `${who} was revoked on ${day(revoked.date)}`, ders, { ...withSigningTime, ...warnings, revocation: report });
      }
      if (report.status === 'unknown' && mode === 'hard-fail') {
        return failure('ERR_REVOCATION_UNKNOWN', `the revocation status of ${label}'s certificate could not be checked`, ders, { ...withSigningTime, ...warnings, revocation: report });
      }
      return { trusted: true, chain: ders, revocation: report, ...withSigningTime, ...warnings };
    },
  };
}
