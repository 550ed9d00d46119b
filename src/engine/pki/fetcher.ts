/**
 * How the engine's PKI code reaches the network — it never does on its own. OCSP answers, CRLs from
 * distribution points and issuer certificates from authorityInfoAccess caIssuers are asked for
 * through a `PkiFetcher` that the caller hands to the validator; without one nothing is fetched. The
 * bounded HTTP implementation (timeout, size limit, cache, allowed schemes) is an adapter:
 * `src/adapters/net/http-fetcher.ts`.
 */

export interface PkiFetchRequest {
  method: 'GET' | 'POST';
  /** The request body (POST), sent with `contentType`. */
  body?: Uint8Array;
  contentType?: string;
  accept?: string;
  /** An answer longer than this is refused, and read no further. */
  maxBytes: number;
  /** The request is abandoned after this long. */
  timeoutMs: number;
  /**
   * A successful GET answer may be served again from the fetcher's cache for this long. Unset: never
   * cached (the OCSP and CRL clients keep their own caches, bounded by the answers' nextUpdate).
   */
  cacheForMs?: number;
}

export interface PkiFetchResponse {
  status: number;
  body: Uint8Array;
}

/** Why a fetch produced no answer: a phrase that completes "the CRL at URL …". */
export class PkiFetchError extends Error {
  constructor(
    readonly failure: 'timeout' | 'unreachable' | 'too-large' | 'scheme-refused',
    /** "did not answer within 5000 ms", "cannot be reached", "sent more than 65536 bytes", "is not an http URL". */
    readonly phrase: string,
    options?: { cause?: unknown },
  ) {
    super(phrase, options);
    this.name = 'PkiFetchError';
  }
}

export interface PkiFetcher {
  /**
   * Any HTTP status is an answer (the caller judges it); no answer at all is an error.
   * @throws PkiFetchError when the URL's scheme is not allowed, the server cannot be reached, does
   *   not answer in time, or sends more than `maxBytes`.
   */
  fetch(url: string, request: PkiFetchRequest): Promise<PkiFetchResponse>;
}

/** The sentence part for any failure of `fetcher.fetch` ("cannot be reached" for the unexpected). */
export function fetchFailurePhrase(error: unknown): string {
  return error instanceof PkiFetchError ? error.phrase : 'cannot be reached';
}
