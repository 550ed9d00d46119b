/**
 * The web server's protections, through app.request (no socket): sign-in, HttpOnly SameSite=Strict
 * cookies, CSRF tokens and Origin checks, security headers, and no API without a session.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoOrganisation } from '../../src/use-cases/demo-org.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';
import { createWebApp } from '../../src/front-ends/web/app.js';

let home: string;
let app: ReturnType<typeof createWebApp>;
const ORIGIN = 'http://localhost';

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'cachet-websec-'));
  await createDemoOrganisation(home, { names: ['alice'], passwords: { alice: 'alice-password' } });
  app = createWebApp({ service: new ClientMailService(home) });
});
after(() => rmSync(home, { recursive: true, force: true }));

async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const response = await app.request('/api/login', { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify({ user: 'alice@example.org', password: 'alice-password' }) });
  assert.equal(response.status, 200);
  const setCookie = response.headers.get('set-cookie') ?? '';
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  return { cookie: setCookie.split(';')[0]!, csrf: ((await response.json()) as { csrfToken: string }).csrfToken };
}

test('a wrong password is refused without a session', async () => {
  const response = await app.request('/api/login', { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify({ user: 'alice@example.org', password: 'guess' }) });
  assert.equal(response.status, 401);
  assert.equal(response.headers.get('set-cookie'), null);
});

test('the API needs a session', async () => {
  assert.equal((await app.request('/api/folders')).status, 401);
});

test('state-changing requests need the CSRF token and a same origin', async () => {
  const { cookie, csrf } = await signIn();
  const body = JSON.stringify({ value: false });
  const noToken = await app.request('/api/settings/enableSigning', { method: 'PUT', headers: { cookie, origin: ORIGIN, 'content-type': 'application/json' }, body });
  assert.equal(noToken.status, 403);
  const crossSite = await app.request('/api/settings/enableSigning', { method: 'PUT', headers: { cookie, origin: 'http://evil.example', 'x-csrf-token': csrf, 'content-type': 'application/json' }, body });
  assert.equal(crossSite.status, 403);
  const good = await app.request('/api/settings/enableSigning', { method: 'PUT', headers: { cookie, origin: ORIGIN, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body });
  assert.equal(good.status, 200);
  assert.deepEqual(await good.json(), { key: 'enableSigning', value: false, origin: 'setting', locked: false });
});

test('every response carries a strict CSP and the other security headers', async () => {
  const { cookie } = await signIn();
  const response = await app.request('/api/folders', { headers: { cookie } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self'/);
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(response.headers.get('x-frame-options'), 'DENY');
  assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
});

test('an attachment is served as a download only, streamed with its length, never rendered in our origin', async () => {
  const { cookie } = await signIn();
  const messages = (await (await app.request('/api/folders/INBOX/messages', { headers: { cookie } })).json()) as Array<{ id: string }>;
  const withFiles = await Promise.all(messages.map(async (m) => ({ id: m.id, view: (await (await app.request(`/api/folders/INBOX/messages/${m.id}`, { headers: { cookie } })).json()) as { attachments: Array<{ index: number; filename: string; size: number }> } })));
  const { id, view } = withFiles.find((m) => m.view.attachments.length > 0)!;
  const [first] = view.attachments;
  const response = await app.request(`/api/folders/INBOX/messages/${id}/attachments/${first!.index}`, { headers: { cookie } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/octet-stream');
  assert.match(response.headers.get('content-disposition') ?? '', /^attachment; filename="[\w.\- ]+"$/);
  assert.match(response.headers.get('content-security-policy') ?? '', /sandbox/);
  assert.equal(response.headers.get('content-length'), String(first!.size));
  assert.equal((await response.arrayBuffer()).byteLength, first!.size);
  assert.equal((await app.request(`/api/folders/INBOX/messages/${id}/attachments/99`, { headers: { cookie } })).status, 404);
});
