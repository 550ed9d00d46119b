/**
 * An RFC 6960 OCSP client: asks the responder a certificate names (authorityInfoAccess id-ad-ocsp)
 * whether it is revoked, and believes the answer only when it is signed by the issuing CA or by a
 * responder the CA delegated (id-kp-OCSPSigning, RFC 6960 §4.2.2.2), carries our nonce back (RFC 8954)
 * and is current (thisUpdate / nextUpdate, §4.2.2.1). Answers are cached in memory until their
 * nextUpdate, so reading a mailbox asks once per certificate, not once per message.
 *
 * The engine does no network of its own: HTTP goes through the `PkiFetcher` the caller passes
 * (fetcher.ts), so tests and front ends decide — and policy can turn it off.
 */
import 'reflect-metadata';
import { createHash, createPublicKey, randomBytes, verify as verifySignature, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  BasicOCSPResponse,
  CertID,
  id_kp_OCSPSigning,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  TBSRequest,
  type SingleResponse,
} from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate, Extension } from '@peculiar/asn1-x509';
import { AuthorityInfoAccessExtension, ExtendedKeyUsageExtension } from '@peculiar/x509';
import { CachetError } from '../../errors.js';
import { derBytes, derChildren, derNode } from '../cms/der-walk.js';
import { fetchFailurePhrase, type PkiFetcher, type PkiFetchResponse } from './fetcher.js';
import { parseCertificate } from './parse-certificate.js';

export interface OcspClientOptions {
  /** The network (required: the engine has none of its own). */
  fetcher: PkiFetcher;
  /** Per request; a responder that does not answer in time leaves the status unknown. */
  timeoutMs?: number;
  /** Entries kept in the in-memory cache. */
  cacheSize?: number;
  /** The clock (tests). */
  now?: () => Date;
}

export interface OcspCheck {
  /** DER of the certificate asked about. */
  certificate: Uint8Array;
  /** DER of its issuer's certificate. */
  issuer: Uint8Array;
  /** The responder to ask; by default the certificate's own AIA OCSP URL. */
  url?: string;
}

export interface OcspAnswer {
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: Date;
  reason?: string;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** The responder's URL. */
  source: string;
  /** Whether the response echoed our nonce ('absent' for responders that pre-compute answers). */
  nonce: 'matched' | 'absent';
  /** Answered from the cache, without a request. */
  cached: boolean;
}

export interface OcspClient {
  /**
   * @throws CachetError ERR_REVOCATION_UNKNOWN when no trustworthy answer could be had (no URL,
   *   network, timeout, a bad signature, a wrong nonce, a stale answer) — the message says which.
   */
  check(request: OcspCheck): Promise<OcspAnswer>;
}

export const OCSP_LIMITS = {
  timeoutMs: 5000,
  maxResponseBytes: 64 * 1024,
  cacheSize: 1000,
  /** Clocks differ; RFC 5019 §4 suggests tolerating a few minutes. */
  clockSkewMs: 5 * 60 * 1000,
  /** Without nextUpdate an answer is "fresh now" only; keep it for this long at most. */
  maxAgeWithoutNextUpdateMs: 5 * 60 * 1000,
  /** Never cache an answer longer than this, whatever its nextUpdate says. */
  maxCacheMs: 24 * 60 * 60 * 1000,
} as const;

const SHA1 = '1.3.14.3.2.26';

/** RFC 5280 §5.3.1 CRLReason names. */
/** RFC 5280 §5.3.1 CRLReason names, by code (also used for CRL entries). */
export const REVOCATION_REASONS = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', 'unused', 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise'];

/** Signature algorithms a responder may use, by OID: the digest for node:crypto (RFC 4055, RFC 5758). */
const SIGNATURE_DIGESTS: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

function unknown(message: string, cause?: unknown): CachetError {
  return new CachetError('ERR_REVOCATION_UNKNOWN', message, cause === undefined ? {} : { cause });
}

/** The OCSP responder URLs (http/https) a certificate names in its authorityInfoAccess. */
export function ocspUrls(certificate: Uint8Array): string[] {
  try {
    const aia = parseCertificate(certificate).getExtension(AuthorityInfoAccessExtension);
    return (aia?.ocsp ?? []).filter((name) => name.type === 'url' && /^https?:\/\//i.test(name.value)).map((name) => name.value);
  } catch {
    return [];
  }
}

/** RFC 6960 §4.1.1 CertID: hashes of the issuer's Name and of its subjectPublicKey BIT STRING value. */
function certId(certificate: Uint8Array, issuer: Uint8Array): CertID {
  const cert = AsnConvert.parse(certificate, Certificate);
  const issuerCert = AsnConvert.parse(issuer, Certificate);
  // SHA-1 here only names the certificate (it is not a signature); it is what RFC 5019 responders,
  // OpenSSL's included, are guaranteed to index by.
  const sha1 = (data: ArrayBuffer | Uint8Array) => new OctetString(createHash('sha1').update(Buffer.from(data as ArrayBuffer)).digest());
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA1, parameters: null }),
    issuerNameHash: sha1(AsnConvert.serialize(cert.tbsCertificate.issuer)),
    issuerKeyHash: sha1(issuerCert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey),
    serialNumber: cert.tbsCertificate.serialNumber,
  });
}

function sameCertId(a: CertID, b: CertID): boolean {
  const strip = (serial: ArrayBuffer) => Buffer.from(serial).toString('hex').replace(/^(00)+(?=.)/, '');
  return (
    a.hashAlgorithm.algorithm === b.hashAlgorithm.algorithm &&
    Buffer.from(a.issuerNameHash.buffer).equals(Buffer.from(b.issuerNameHash.buffer)) &&
    Buffer.from(a.issuerKeyHash.buffer).equals(Buffer.from(b.issuerKeyHash.buffer)) &&
    strip(a.serialNumber) === strip(b.serialNumber)
  );
}

/** DER OCSPRequest for one certificate, with a fresh 32-octet nonce (RFC 8954 §2.1). */
export function buildOcspRequest(id: CertID, nonce: Uint8Array): Uint8Array {
  const request = new OCSPRequest({
    tbsRequest: new TBSRequest({
      requestList: [new Request({ reqCert: id })],
      requestExtensions: [new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(AsnConvert.serialize(new OctetString(nonce))) })],
    }),
  });
  return new Uint8Array(AsnConvert.serialize(request));
}

function publicKeyOf(certificateDer: Uint8Array): KeyObject {
  const cert = AsnConvert.parse(certificateDer, Certificate);
  return createPublicKey({ key: Buffer.from(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)), format: 'der', type: 'spki' });
}

function signatureVerifies(tbs: Uint8Array, algorithm: string, signature: ArrayBuffer, key: KeyObject): boolean {
  const digest = SIGNATURE_DIGESTS[algorithm];
  if (!digest) return false;
  try {
    return verifySignature(digest, tbs, key, Buffer.from(signature));
  } catch {
    return false;
  }
}

/**
 * Which key signed the response: the issuer's own, or a delegated responder certificate carried in
 * the response that the issuer signed, that holds id-kp-OCSPSigning and is valid now (§4.2.2.2).
 */
async function responseSignedByAuthorised(basic: BasicOCSPResponse, tbs: Uint8Array, issuer: Uint8Array, now: Date): Promise<boolean> {
  const algorithm = basic.signatureAlgorithm.algorithm;
  if (signatureVerifies(tbs, algorithm, basic.signature, publicKeyOf(issuer))) return true;
  const issuerCert = parseCertificate(issuer);
  for (const candidate of basic.certs ?? []) {
    const der = new Uint8Array(AsnConvert.serialize(candidate));
    const responder = parseCertificate(der);
    if (responder.issuer !== issuerCert.subject) continue;
    if (now < responder.notBefore || now > responder.notAfter) continue;
    const eku = responder.getExtension(ExtendedKeyUsageExtension);
    if (!eku || !eku.usages.map(String).includes(id_kp_OCSPSigning)) continue;
    const issuedByCa = await responder.verify({ publicKey: issuerCert.publicKey, signatureOnly: true }).catch(() => false);
    if (!issuedByCa) continue;
    if (signatureVerifies(tbs, algorithm, basic.signature, publicKeyOf(der))) return true;
  }
  return false;
}

interface CacheEntry {
  answer: Omit<OcspAnswer, 'cached'>;
  until: number;
}

/**
 * An OCSP client with its own cache.
 * @example const answer = await createOcspClient({ fetcher }).check({ certificate, issuer }); // answer.status
 */
export function createOcspClient(options: OcspClientOptions): OcspClient {
  const { fetcher } = options;
  const timeoutMs = options.timeoutMs ?? OCSP_LIMITS.timeoutMs;
  const cacheSize = options.cacheSize ?? OCSP_LIMITS.cacheSize;
  const clock = options.now ?? (() => new Date());
  const cache = new Map<string, CacheEntry>();

  async function ask(url: string, requestDer: Uint8Array): Promise<Uint8Array> {
    let response: PkiFetchResponse;
    try {
      response = await fetcher.fetch(url, {
        method: 'POST',
        contentType: 'application/ocsp-request',
        accept: 'application/ocsp-response',
        body: requestDer,
        maxBytes: OCSP_LIMITS.maxResponseBytes,
        timeoutMs,
      });
    } catch (error) {
      throw unknown(`the OCSP responder ${url} ${fetchFailurePhrase(error)}`, error);
    }
    if (response.status !== 200) throw unknown(`the OCSP responder ${url} answered HTTP ${response.status}`);
    return response.body;
  }

  function parseResponse(url: string, body: Uint8Array): { basic: BasicOCSPResponse; tbs: Uint8Array } {
    try {
      const response = AsnConvert.parse(body, OCSPResponse);
      if (response.responseStatus !== OCSPResponseStatus.successful) {
        throw unknown(`the OCSP responder ${url} refused to answer (${OCSPResponseStatus[response.responseStatus] ?? response.responseStatus})`);
      }
      if (!response.responseBytes || response.responseBytes.responseType !== id_pkix_ocsp_basic) throw unknown(`the OCSP responder ${url} sent an answer of an unknown type`);
      const basicDer = new Uint8Array(response.responseBytes.response.buffer);
      const basic = AsnConvert.parse(basicDer, BasicOCSPResponse);
      // The signature covers tbsResponseData's bytes as sent: take them from the wire, not re-encoded.
      const tbs = derBytes(basicDer, derChildren(basicDer, derNode(basicDer))[0]!);
      return { basic, tbs };
    } catch (error) {
      if (error instanceof CachetError) throw error;
      throw unknown(`the OCSP responder ${url} sent an unreadable answer`, error);
    }
  }

  function interpret(url: string, basic: BasicOCSPResponse, id: CertID, nonce: Uint8Array, now: Date): Omit<OcspAnswer, 'cached'> {
    const single: SingleResponse | undefined = basic.tbsResponseData.responses.find((r) => sameCertId(r.certID, id));
    if (!single) throw unknown(`the OCSP responder ${url} did not answer for the certificate asked about`);
    const echoed = basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
    let nonceState: OcspAnswer['nonce'] = 'absent';
    if (echoed) {
      let value: Buffer;
      try {
        value = Buffer.from(AsnConvert.parse(echoed.extnValue.buffer, OctetString).buffer);
      } catch {
        value = Buffer.from(echoed.extnValue.buffer);
      }
      // A replayed answer carries someone else's nonce.
      if (!value.equals(Buffer.from(nonce))) throw unknown(`the OCSP answer from ${url} does not carry our nonce (a replayed answer?)`);
      nonceState = 'matched';
    }
    const skew = OCSP_LIMITS.clockSkewMs;
    if (single.thisUpdate.getTime() > now.getTime() + skew) throw unknown(`the OCSP answer from ${url} is dated in the future`);
    if (single.nextUpdate && single.nextUpdate.getTime() < now.getTime() - skew) throw unknown(`the OCSP answer from ${url} is out of date (nextUpdate ${single.nextUpdate.toISOString()})`);
    if (!single.nextUpdate && nonceState !== 'matched' && single.thisUpdate.getTime() < now.getTime() - OCSP_LIMITS.maxAgeWithoutNextUpdateMs) {
      throw unknown(`the OCSP answer from ${url} is too old to rely on`);
    }
    const status = single.certStatus;
    const base = { thisUpdate: single.thisUpdate, ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}), source: url, nonce: nonceState };
    if (status.revoked) {
      const reasonCode = status.revoked.revocationReason;
      return {
        status: 'revoked',
        revokedAt: status.revoked.revocationTime,
        ...(reasonCode !== undefined ? { reason: REVOCATION_REASONS[Number(reasonCode)] ?? String(reasonCode) } : {}),
        ...base,
      };
    }
    return { status: status.good !== undefined ? 'good' : 'unknown', ...base };
  }

  return {
    async check(request) {
      const url = request.url ?? ocspUrls(request.certificate)[0];
      if (!url) throw unknown('the certificate names no OCSP responder');
      if (!/^https?:\/\//i.test(url)) throw unknown(`the OCSP responder URL ${url} is not http or https`);
      let id: CertID;
      try {
        id = certId(request.certificate, request.issuer);
      } catch (error) {
        throw new CachetError('ERR_CERT_MALFORMED', 'the certificate cannot be read for an OCSP request', { cause: error });
      }
      const key = `${url}\u0000${Buffer.from(AsnConvert.serialize(id)).toString('base64')}`;
      const now = clock();
      const hit = cache.get(key);
      if (hit && hit.until > now.getTime()) return { ...hit.answer, cached: true };
      cache.delete(key);

      const nonce = randomBytes(32);
      const body = await ask(url, buildOcspRequest(id, nonce));
      const { basic, tbs } = parseResponse(url, body);
      if (!(await responseSignedByAuthorised(basic, tbs, request.issuer, now))) {
        throw unknown(`the OCSP answer from ${url} is not signed by the certificate's CA or a responder it authorised`);
      }
      const answer = interpret(url, basic, id, nonce, now);
      const lifetime = answer.nextUpdate ? Math.min(answer.nextUpdate.getTime() - now.getTime(), OCSP_LIMITS.maxCacheMs) : OCSP_LIMITS.maxAgeWithoutNextUpdateMs;
      if (lifetime > 0) {
        if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
        cache.set(key, { answer, until: now.getTime() + lifetime });
      }
      return { ...answer, cached: false };
    },
  };
}
