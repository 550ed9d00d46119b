/**
 * The one HTTP client for public PKI material — issuer certificates (AIA caIssuers), CRLs, OCSP —
 * behind the engine's PkiFetcher interface (src/engine/pki/fetcher.ts). Every request is bounded: a
 * timeout over the whole exchange, a byte limit enforced while reading (a Content-Length over it is
 * refused unread), no redirects followed (a redirect could leave the allowed schemes or host), and
 * only the schemes the policy's `pkiFetch` allows. GET answers the caller marks cacheable are kept
 * in a bounded in-memory cache, so a mailbox of messages from one CA asks for its issuer once.
 */
import { PkiFetchError, type PkiFetcher, type PkiFetchRequest, type PkiFetchResponse } from '../../engine/pki/fetcher.js';

/** The policy's `pkiFetch` values that fetch: S/MIME BR §7.1.2.3 makes CRL, OCSP and caIssuers URLs http. */
export type PkiFetchSchemes = 'http' | 'http+https';

export const PKI_HTTP_LIMITS = {
  cacheEntries: 256,
  /** Total bytes the cache holds. */
  cacheBytes: 4 * 1024 * 1024,
} as const;

export interface PkiHttpFetcherOptions {
  schemes: PkiFetchSchemes;
  /** The clock (tests). */
  now?: () => number;
}

async function readBounded(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new PkiFetchError('too-large', `sent more than ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new PkiFetchError('too-large', `sent more than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks);
}

/**
 * @example const fetcher = createPkiHttpFetcher({ schemes: 'http' }); createCertificateValidator({ trustAnchors, fetcher })
 */
export function createPkiHttpFetcher(options: PkiHttpFetcherOptions): PkiFetcher {
  const clock = options.now ?? Date.now;
  const allowed = options.schemes === 'http+https' ? ['http:', 'https:'] : ['http:'];
  const cache = new Map<string, { until: number; response: PkiFetchResponse }>();
  let cachedBytes = 0;

  function remember(url: string, response: PkiFetchResponse, forMs: number): void {
    if (response.body.byteLength > PKI_HTTP_LIMITS.cacheBytes / 4) return;
    const previous = cache.get(url);
    if (previous) {
      cache.delete(url);
      cachedBytes -= previous.response.body.byteLength;
    }
    // Oldest first out, until the new answer fits both bounds.
    while (cache.size >= PKI_HTTP_LIMITS.cacheEntries || cachedBytes + response.body.byteLength > PKI_HTTP_LIMITS.cacheBytes) {
      const [oldest, entry] = cache.entries().next().value!;
      cache.delete(oldest);
      cachedBytes -= entry.response.body.byteLength;
    }
    cache.set(url, { until: clock() + forMs, response });
    cachedBytes += response.body.byteLength;
  }

  return {
    async fetch(url: string, request: PkiFetchRequest): Promise<PkiFetchResponse> {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch (error) {
        throw new PkiFetchError('scheme-refused', 'is not a URL', { cause: error });
      }
      if (!allowed.includes(parsed.protocol)) {
        throw new PkiFetchError('scheme-refused', `is not ${options.schemes === 'http' ? 'an http' : 'an http or https'} URL (the policy's pkiFetch allows ${options.schemes})`);
      }
      const cacheable = request.method === 'GET' && request.cacheForMs !== undefined;
      if (cacheable) {
        const hit = cache.get(url);
        if (hit && hit.until > clock()) return hit.response;
      }
      const headers: Record<string, string> = {};
      if (request.accept) headers.accept = request.accept;
      if (request.contentType) headers['content-type'] = request.contentType;
      let response: PkiFetchResponse;
      try {
        const answer = await globalThis.fetch(parsed, {
          method: request.method,
          headers,
          ...(request.body ? { body: new Uint8Array(request.body) as Uint8Array<ArrayBuffer> } : {}),
          redirect: 'manual',
          signal: AbortSignal.timeout(request.timeoutMs),
        });
        response = { status: answer.status, body: await readBounded(answer, request.maxBytes) };
      } catch (error) {
        if (error instanceof PkiFetchError) throw error;
        const name = (error as Error)?.name;
        if (name === 'TimeoutError' || name === 'AbortError') throw new PkiFetchError('timeout', `did not answer within ${request.timeoutMs} ms`, { cause: error });
        const code = ((error as { cause?: { code?: string } })?.cause?.code) ?? '';
        throw new PkiFetchError('unreachable', `cannot be reached${code ? ` (${code})` : ''}`, { cause: error });
      }
      if (cacheable && response.status === 200) remember(url, response, request.cacheForMs!);
      return response;
    },
  };
}
