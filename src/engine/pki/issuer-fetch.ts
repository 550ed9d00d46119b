/**
 * Issuer certificates fetched from a certificate's authorityInfoAccess id-ad-caIssuers URL (RFC 5280
 * §4.2.2.1), so that trusting an organisation's root is enough even when a message, a directory
 * entry or an address book carries only the end entity. The CA/B Forum S/MIME Baseline Requirements
 * (§7.1.2.3 c) require this URL to be HTTP and to serve DER (a certificate, or a certs-only
 * PKCS#7 ".p7c"); PEM is accepted too, since some CAs serve it.
 *
 * What is fetched is only a candidate: the validator still checks its signature and that the chain
 * ends at a trust anchor. The network goes through the caller's PkiFetcher, which caches answers.
 */
import 'reflect-metadata';
import { AuthorityInfoAccessExtension, X509Certificates, type X509Certificate } from '@peculiar/x509';
import type { PkiFetcher } from './fetcher.js';
import { parseCertificate } from './parse-certificate.js';

export const ISSUER_FETCH_LIMITS = {
  timeoutMs: 3000,
  /** A CA certificate is 1–2 KiB; a .p7c with a few of them well under this. */
  maxBytes: 256 * 1024,
  /** One fetched issuer serves every message it signed for this long. */
  cacheForMs: 60 * 60 * 1000,
  /** URLs tried for one validation, so a hostile chain of AIA links cannot keep the reader busy. */
  maxFetchesPerValidation: 4,
} as const;

/** The http(s) caIssuers URLs of the certificate's authorityInfoAccess (none when it has no such extension). */
export function caIssuersUrls(cert: X509Certificate): string[] {
  try {
    const aia = cert.getExtension(AuthorityInfoAccessExtension);
    return (aia?.caIssuers ?? []).map((name) => (name.type === 'url' ? name.value : '')).filter((url) => /^https?:\/\//i.test(url));
  } catch {
    return [];
  }
}

/** DER certificates in a fetched body: one DER certificate, PEM, or a certs-only PKCS#7. */
function certificatesIn(body: Uint8Array): Uint8Array[] {
  try {
    return [new Uint8Array(parseCertificate(body).rawData)];
  } catch {
    // not a single certificate: try a PKCS#7 bundle or PEM
  }
  try {
    const list = new X509Certificates();
    list.import(Buffer.from(body));
    return list.map((c) => new Uint8Array(c.rawData));
  } catch {
    return [];
  }
}

/**
 * The certificates served at `url`, or none when it cannot be had (unreachable, late, too large, not
 * a certificate, a scheme the fetcher refuses): a missing issuer then reads as it would without AIA.
 */
export async function fetchIssuerCertificates(fetcher: PkiFetcher, url: string): Promise<Uint8Array[]> {
  try {
    const response = await fetcher.fetch(url, {
      method: 'GET',
      accept: 'application/pkix-cert, application/pkcs7-mime',
      maxBytes: ISSUER_FETCH_LIMITS.maxBytes,
      timeoutMs: ISSUER_FETCH_LIMITS.timeoutMs,
      cacheForMs: ISSUER_FETCH_LIMITS.cacheForMs,
    });
    return response.status === 200 ? certificatesIn(response.body) : [];
  } catch {
    return [];
  }
}
