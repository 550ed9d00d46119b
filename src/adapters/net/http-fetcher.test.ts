/**
 * The one HTTP client for PKI material, against a real HTTP server on 127.0.0.1: answers over the
 * byte limit are refused (declared or streamed), a server that does not answer in time is a timeout,
 * redirects are not followed, only the allowed schemes are asked, and a cacheable GET is asked once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PkiFetchError } from '../../engine/pki/fetcher.js';
import { createPkiHttpFetcher } from './http-fetcher.js';

let server: Server;
let base = '';
const requests: string[] = [];

before(async () => {
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (request.url === '/big') return void response.writeHead(200, { 'content-length': '5000' }).end(Buffer.alloc(5000));
    if (request.url === '/streamed') {
      // No Content-Length: the limit is enforced while reading.
      response.writeHead(200);
      for (let i = 0; i < 10; i++) response.write(Buffer.alloc(1000));
      return void response.end();
    }
    if (request.url === '/slow') return void setTimeout(() => response.writeHead(200).end('late'), 3000);
    if (request.url === '/moved') return void response.writeHead(302, { location: `${base}/small` }).end();
    response.writeHead(200).end('small');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const get = { method: 'GET', maxBytes: 1024, timeoutMs: 1000 } as const;
const failure = (kind: PkiFetchError['failure']) => (error: unknown) => error instanceof PkiFetchError && error.failure === kind;

test('an answer over the byte limit is refused, whether declared or streamed', async () => {
  const fetcher = createPkiHttpFetcher({ schemes: 'http' });
  await assert.rejects(fetcher.fetch(`${base}/big`, get), failure('too-large'));
  await assert.rejects(fetcher.fetch(`${base}/streamed`, get), failure('too-large'));
  assert.equal(Buffer.from((await fetcher.fetch(`${base}/small`, get)).body).toString(), 'small');
});

test('a server that does not answer in time is a timeout, named with the limit', async () => {
  const fetcher = createPkiHttpFetcher({ schemes: 'http' });
  await assert.rejects(fetcher.fetch(`${base}/slow`, { ...get, timeoutMs: 300 }), (error: unknown) => failure('timeout')(error) && /within 300 ms/.test((error as Error).message));
});

test('a redirect is an answer (302), not followed', async () => {
  requests.length = 0;
  const answer = await createPkiHttpFetcher({ schemes: 'http' }).fetch(`${base}/moved`, get);
  assert.equal(answer.status, 302);
  assert.deepEqual(requests, ['/moved']);
});

test('schemes: https is refused under "http", other schemes always', async () => {
  await assert.rejects(createPkiHttpFetcher({ schemes: 'http' }).fetch('https://127.0.0.1:1/x', get), failure('scheme-refused'));
  await assert.rejects(createPkiHttpFetcher({ schemes: 'http+https' }).fetch('ldap://127.0.0.1/x', get), failure('scheme-refused'));
  await assert.rejects(createPkiHttpFetcher({ schemes: 'http+https' }).fetch('https://127.0.0.1:1/x', get), failure('unreachable'));
});

test('a cacheable GET is asked once while fresh, again once it is stale; an uncacheable one every time', async () => {
  let now = 0;
  const fetcher = createPkiHttpFetcher({ schemes: 'http', now: () => now });
  requests.length = 0;
  await fetcher.fetch(`${base}/small`, { ...get, cacheForMs: 1000 });
  await fetcher.fetch(`${base}/small`, { ...get, cacheForMs: 1000 });
  assert.equal(requests.length, 1);
  now = 2000;
  await fetcher.fetch(`${base}/small`, { ...get, cacheForMs: 1000 });
  assert.equal(requests.length, 2);
  await fetcher.fetch(`${base}/small`, get);
  await fetcher.fetch(`${base}/small`, get);
  assert.equal(requests.length, 4);
});
