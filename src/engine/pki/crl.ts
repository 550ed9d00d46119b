/**
 * CRLs fetched from a certificate's CRL distribution points (RFC 5280 §4.2.1.13) over HTTP. The
 * network is a parameter (a `PkiFetcher`, fetcher.ts), so the engine does no I/O of its own, and a
 * fetched CRL is cached until its nextUpdate. Only http(s) URIs are followed: LDAP
 * distribution points go through the directory module.
 *
 * Whether to fetch at all is decided by the validator: never for a stranger's chain (a CRL URL in a
 * certificate that does not chain to a trust anchor is a tracking beacon).
 */
import 'reflect-metadata';
import { CRLDistributionPointsExtension, X509Crl } from '@peculiar/x509';
import { parseCertificate } from './parse-certificate.js';
import { CachetError } from '../../errors.js';
import { fetchFailurePhrase, type PkiFetcher, type PkiFetchResponse } from './fetcher.js';

export const CRL_LIMITS = {
  timeoutMs: 5000,
  /** Large enterprise CRLs reach a few MiB; beyond this the answer is refused. */
  maxBytes: 16 * 1024 * 1024,
  cacheSize: 64,
  /** A CRL without nextUpdate is kept this long. */
  defaultCacheMs: 60 * 60 * 1000,
} as const;

export interface CrlClientOptions {
  /** The network (required: the engine has none of its own). */
  fetcher: PkiFetcher;
  timeoutMs?: number;
  now?: () => Date;
}

export interface CrlClient {
  /** The CRL at `url` (DER), from the cache while it is fresh. @throws ERR_REVOCATION_UNKNOWN */
  get(url: string): Promise<{ crl: X509Crl; cached: boolean }>;
}

/** The http(s) URIs of the certificate's CRL distribution points. */
export function crlDistributionPointUrls(certificate: Uint8Array): string[] {
  try {
    const extension = parseCertificate(certificate).getExtension(CRLDistributionPointsExtension);
    if (!extension) return [];
    const urls: string[] = [];
    for (const point of extension.distributionPoints) {
      for (const name of point.distributionPoint?.fullName ?? []) {
        const uri = name.uniformResourceIdentifier;
        if (uri && /^https?:\/\//i.test(uri)) urls.push(uri);
      }
    }
    return urls;
  } catch {
    return [];
  }
}

function unknown(message: string, cause?: unknown): CachetError {
  return new CachetError('ERR_REVOCATION_UNKNOWN', message, cause === undefined ? {} : { cause });
}

function parseCrl(body: Uint8Array): X509Crl {
  const head = Buffer.from(body.subarray(0, 64)).toString('latin1');
  if (head.includes('-----BEGIN X509 CRL-----')) {
    const base64 = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(Buffer.from(body).toString('latin1'))?.[1] ?? '';
    return new X509Crl(Buffer.from(base64.replace(/\s+/g, ''), 'base64'));
  }
  return new X509Crl(Buffer.from(body));
}

/**
 * A CRL client with its own cache (keyed by URL, kept until nextUpdate).
 * @example const { crl } = await createCrlClient({ fetcher }).get('http://crl.example.com/ca.crl');
 */
export function createCrlClient(options: CrlClientOptions): CrlClient {
  const { fetcher } = options;
  const timeoutMs = options.timeoutMs ?? CRL_LIMITS.timeoutMs;
  const clock = options.now ?? (() => new Date());
  const cache = new Map<string, { crl: X509Crl; until: number }>();

  return {
    async get(url) {
      const now = clock().getTime();
      const hit = cache.get(url);
      if (hit && hit.until > now) return { crl: hit.crl, cached: true };
      let response: PkiFetchResponse;
      try {
        response = await fetcher.fetch(url, { method: 'GET', accept: 'application/pkix-crl', maxBytes: CRL_LIMITS.maxBytes, timeoutMs });
      } catch (error) {
        throw unknown(`the CRL at ${url} ${fetchFailurePhrase(error)}`, error);
      }
      if (response.status !== 200) throw unknown(`the CRL at ${url} could not be fetched (HTTP ${response.status})`);
      const { body } = response;
      let crl: X509Crl;
      try {
        crl = parseCrl(body);
      } catch (error) {
        throw unknown(`the file at ${url} is not a CRL`, error);
      }
      const until = crl.nextUpdate ? crl.nextUpdate.getTime() : now + CRL_LIMITS.defaultCacheMs;
      if (cache.size >= CRL_LIMITS.cacheSize) cache.delete(cache.keys().next().value!);
      cache.set(url, { crl, until });
      return { crl, cached: false };
    },
  };
}
