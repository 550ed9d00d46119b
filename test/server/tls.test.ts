/**
 * `cachet server` over HTTPS, as a real process: the configured certificate (from a CA made by
 * openssl at test time) is served, SIGHUP makes it serve a renewed one, cookies are Secure and HSTS
 * is sent, every request has an id in a JSON log line, SIGTERM stops it cleanly; and a plain-HTTP
 * listen on a non-loopback address is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { httpsRequest, makeTestCa, runServerProcess, type ServerProcess, type TestCa } from './support.js';

let dir: string;
let ca: TestCa;
let server: ServerProcess | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-server-tls-'));
  ca = makeTestCa(join(dir, 'pki'));
  const [cert, key] = ca.issue('first');
  copyFileSync(cert, join(dir, 'tls.pem'));
  copyFileSync(key, join(dir, 'tls.key'));
  assert.equal((await runCachet(['server', '--init-key', join(dir, 'kek')])).status, 0);
  writeFileSync(join(dir, 'password'), 'alice-web-password\n');
  const added = await runCachet(['account', 'add', 'alice@example.org', '--web-password-file', join(dir, 'password')], { env: { CACHET_HOME: join(dir, 'state') } });
  assert.equal(added.status, 0, added.stderr);
  writeFileSync(
    join(dir, 'server.yaml'),
    `listen:\n  host: 127.0.0.1\n  port: 0\ntls:\n  certificate: tls.pem\n  key: tls.key\nstate:\n  directory: state\nkeys:\n  keyEncryptionKeyFile: kek\n`,
  );
  server = await runServerProcess(join(dir, 'server.yaml'));
});

after(() => {
  server?.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('HTTPS with the configured certificate, HSTS, a request id and a Secure session cookie', async () => {
  assert.match(server!.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const health = await httpsRequest(`${server!.url}/healthz`, ca.ca);
  assert.equal(health.status, 200);
  assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
  assert.equal(health.peerName, 'first');
  assert.match(String(health.headers['strict-transport-security']), /^max-age=31536000; includeSubDomains$/);
  const requestId = String(health.headers['x-request-id']);
  assert.match(requestId, /^[0-9a-f-]{36}$/);
  await server!.waitFor((l) => l['event'] === 'request' && l['requestId'] === requestId && l['path'] === '/healthz' && l['status'] === 200);

  const login = await httpsRequest(`${server!.url}/api/login`, ca.ca, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server!.url },
    body: JSON.stringify({ user: 'Alice@Example.ORG', password: 'alice-web-password' }),
  });
  assert.equal(login.status, 200, login.body);
  assert.equal(JSON.parse(login.body).user, 'alice@example.org', 'a mixed-case address signs in as the user');
  const cookie = String(login.headers['set-cookie']);
  assert.match(cookie, /; Secure/);
  assert.match(cookie, /HttpOnly/);
  const folders = await httpsRequest(`${server!.url}/api/folders`, ca.ca, { headers: { cookie: cookie.split(';')[0]! } });
  assert.equal(folders.status, 200, 'and stays signed in');
  await server!.waitFor((l) => l['event'] === 'signed-in' && l['user'] === 'alice@example.org');
  assert.ok(!JSON.stringify(server!.lines).includes('alice-web-password'), 'the password never reaches the log');
});

test('SIGHUP makes the server present the renewed certificate', async () => {
  const [cert, key] = ca.issue('renewed');
  copyFileSync(cert, join(dir, 'tls.pem'));
  copyFileSync(key, join(dir, 'tls.key'));
  assert.equal((await httpsRequest(`${server!.url}/healthz`, ca.ca)).peerName, 'first', 'nothing changes before the signal');
  server!.child.kill('SIGHUP');
  await server!.waitFor((l) => l['event'] === 'tls-reloaded');
  assert.equal((await httpsRequest(`${server!.url}/healthz`, ca.ca)).peerName, 'renewed');
});

test('SIGTERM stops the server cleanly', async () => {
  server!.child.kill('SIGTERM');
  assert.equal(await server!.exited, 0);
  assert.ok(server!.lines.some((l) => l['event'] === 'stopped'));
  server = undefined;
});

test('plain HTTP on a non-loopback address is refused, before anything listens', async () => {
  const file = join(dir, 'open.yaml');
  writeFileSync(file, `listen:\n  host: 0.0.0.0\n  port: 0\nstate:\n  directory: state\nkeys:\n  keyEncryptionKeyFile: kek\n`);
  const run = await runCachet(['server', '--config', file, '--check']);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /refusing to serve plain HTTP on 0\.0\.0\.0, which is not a loopback address: configure "tls"/);
  writeFileSync(file, `listen:\n  host: 0.0.0.0\n  port: 0\nproxy:\n  trustedAddresses: [127.0.0.1]\nstate:\n  directory: state\nkeys:\n  keyEncryptionKeyFile: kek\n`);
  assert.equal((await runCachet(['server', '--config', file, '--check'])).status, 0, 'behind a TLS-terminating proxy it may');
});
