/**
 * The HTTP that revocation checks go through: the engine asks OCSP responders and CRL distribution
 * points only through a function it is given (engine/pki/ocsp.ts, crl.ts), and this adapter is that
 * function for the front ends — Node's fetch.
 */
import type { CrlFetch } from '../engine/pki/crl.js';
import type { OcspFetch } from '../engine/pki/ocsp.js';

export type RevocationFetch = OcspFetch & CrlFetch;

export function httpFetcher(): RevocationFetch {
  return ((url: string, init: Parameters<OcspFetch>[1] | Parameters<CrlFetch>[1]) =>
    globalThis.fetch(url, 'body' in init ? { ...init, body: new Uint8Array(init.body) as Uint8Array<ArrayBuffer> } : init)) as RevocationFetch;
}
