/**
 * Certificate path validation (RFC 5280 §6, as it applies to S/MIME per RFC 8550): builds a chain
 * from the end entity through the message's and the caller's intermediates to a trust anchor,
 * checks every signature, validity at the validation time (and the end entity's at the signing time),
 * basicConstraints and pathLenConstraint, name constraints on e-mail addresses, keyUsage and
 * extendedKeyUsage for the purpose, and revocation against the CRLs the caller supplies, then OCSP
 * when enabled. No storage: anchors and CRLs come in as bytes; HTTP for OCSP through an injected fetch.
 *
 * The answers are sentences a user can act on: "the certificate of alice@example.com expired on
 * 2021-01-01", "… issued by a CA you do not trust: Bars Root CA", "… was revoked on …".
 */
import 'reflect-metadata';
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
import type { CachetErrorCode } from '../errors.js';
import { certificateEmails } from '../cms/cert-id.js';
import { nameConstraintProblem, unknownCriticalExtensions } from './path-validation.js';
import type { CrlClient, CrlFetch } from './crl.js';
import type { OcspClient, OcspFetch } from './ocsp.js';
import { createRevocationChecker, type ChainLink, type RevocationMode } from './revocation.js';
import type { CertificatePurpose, CertificateValidator, ChainValidationRequest, ChainValidationResult } from './validator.js';

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
  /**
   * 'off': no revocation check; 'soft-fail' (default): unknown status passes; 'hard-fail': unknown fails.
   * The object form also turns network fetching on or off in one place: `fetch: true` asks OCSP
   * responders and CRL distribution points through `http` (required then), for chains that end at a trust
   * anchor only; `fetch: false` (the default) asks nothing. `ocsp` and `crlFetch` below refine it.
   */
  revocation?: RevocationMode | { mode: RevocationMode; fetch?: boolean; http?: OcspFetch & CrlFetch };
  /**
   * OCSP (RFC 6960), asked when no CRL answered for a link of a chain that ends at a trust anchor —
   * never for a stranger's chain, whose responder URL is a tracking beacon (asking it tells the sender
   * the mail was read). Off unless `enabled`.
   */
  ocsp?: {
    enabled: boolean;
    /** HTTP through this function (or a `client`): the engine has no HTTP of its own. */
    fetch?: OcspFetch;
    /** A client to share (and so share its cache) between validators. */
    client?: OcspClient;
    /** A responder to ask for certificates that name none in their authorityInfoAccess. */
    defaultResponderUrl?: string;
  };
  /**
   * CRLs fetched from the certificates' distribution points (http only), for chains that end at a
   * trust anchor and only when no given CRL answered. Off unless `enabled`.
   */
  crlFetch?: {
    enabled: boolean;
    fetch?: CrlFetch;
    /** A client to share (and so share its cache) between validators. */
    client?: CrlClient;
  };
}

type Parsed = ChainLink;

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

function safely<T>(run: () => T, fallback: T): T {
  try {
    return run();
  } catch {
    return fallback;
  }
}

export function createCertificateValidator(options: ValidatorOptions): CertificateValidator {
  const anchors = options.trustAnchors.flatMap(parse);
  const known = (options.intermediates ?? []).flatMap(parse);
  const crls = (options.crls ?? []).flatMap(parseCrls);
  const policy = typeof options.revocation === 'object' ? options.revocation : { mode: options.revocation ?? 'soft-fail', fetch: false };
  const mode = policy.mode;
  const network = policy.fetch === true && mode !== 'off';
  const http = typeof options.revocation === 'object' ? options.revocation.http : undefined;
  const ocspOptions = options.ocsp ?? (network ? { enabled: true, ...(http ? { fetch: http } : {}) } : undefined);
  const crlFetchOptions = options.crlFetch ?? (network ? { enabled: true, ...(http ? { fetch: http } : {}) } : undefined);

  const revocation = createRevocationChecker({
    mode,
    crls,
    ...(ocspOptions ? { ocsp: ocspOptions } : {}),
    ...(crlFetchOptions ? { crlFetch: crlFetchOptions } : {}),
  });

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
      const { report, revoked } = await revocation.check(chain, request.at);
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
