import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { clientAddressOf, isLoopback, listen } from './listener.js';
import type { ServerConfig } from './config.js';

test('loopback addresses are told apart from the others', () => {
  for (const host of ['127.0.0.1', '127.8.9.1', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.equal(isLoopback(host), true, host);
  for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'mail.example.org', '::ffff:10.0.0.1']) assert.equal(isLoopback(host), false, host);
});

function configFor(port = 0): ServerConfig {
  return { file: '/etc/cachet/server.yaml', listen: { host: '127.0.0.1', port }, tls: undefined, proxy: undefined } as unknown as ServerConfig;
}

test('X-Forwarded-For is believed from a trusted proxy only, and the proxy’s own address is skipped', async () => {
  const app = new Hono();
  const trusting = clientAddressOf(['127.0.0.1']);
  const distrusting = clientAddressOf(['10.0.0.9']);
  app.get('/t', (c) => c.text(`${trusting(c)} ${distrusting(c)}`));
  const server = await listen(app.fetch, configFor());
  try {
    const answer = await (await fetch(`${server.url}/t`, { headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.2, 127.0.0.1' } })).text();
    assert.equal(answer, '198.51.100.2 127.0.0.1');
  } finally {
    await server.close(1000);
  }
});

test('closing lets the request in flight finish, then stops listening', async () => {
  let release!: () => void;
  const started = new Promise<void>((resolve) => (release = resolve));
  const app = new Hono();
  app.post('/send', async (c) => {
    release();
    await new Promise((resolve) => setTimeout(resolve, 300));
    return c.json({ kind: 'sent' });
  });
  const server = await listen(app.fetch, configFor());
  const sending = fetch(`${server.url}/send`, { method: 'POST' });
  await started;
  const closing = server.close(10_000);
  const answer = await sending;
  assert.equal(answer.status, 200);
  assert.deepEqual(await answer.json(), { kind: 'sent' });
  await closing;
  await assert.rejects(fetch(`${server.url}/send`, { method: 'POST' }), 'no longer listening');
});
