/** The derivedCredentials source on a real SoftHSM2 token: credentials listed, signing checked by openssl. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm } from '../helpers/softhsm.js';
import { pkiFile } from '../helpers/pki.js';
import { firstLaunchSmimeState, openKeySource, type KeySource } from '../../src/keys/key-source.js';
import { isCachetError } from '../../src/engine/errors.js';
import type { CliContext } from '../../src/cli/context.js';
import { runCachet } from '../helpers/cli.js';

let hsm: SoftHsm | undefined;
let source: KeySource | undefined;
let work: string | undefined;
const context = (pin: string) => ({ env: { CACHET_TOKEN_PIN: pin }, interactive: false, cwd: '/' }) as unknown as CliContext;

before(async () => {
  hsm = createSoftHsm([{ name: 'alice', id: '01' }]);
  work = mkdtempSync(join(tmpdir(), 'cachet-keysource-'));
});
after(async () => {
  await source?.close();
  hsm?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('derivedCredentials: wrong PIN is ERR_TOKEN_PIN_INCORRECT, absent token ERR_TOKEN_ABSENT', async () => {
  await assert.rejects(openKeySource('derivedCredentials', { token: { module: hsm!.module, tokenLabel: hsm!.label } }, context('9999')), (e) => isCachetError(e, 'ERR_TOKEN_PIN_INCORRECT'));
  await assert.rejects(openKeySource('derivedCredentials', { token: { module: hsm!.module, tokenLabel: 'no-such-token' } }, context(hsm!.pin)), (e) => isCachetError(e, 'ERR_TOKEN_ABSENT'));
});

test('derivedCredentials: the token credential signs, openssl verifies', async () => {
  source = await openKeySource('derivedCredentials', { token: { module: hsm!.module, tokenLabel: hsm!.label } }, context(hsm!.pin));
  const list = await source.requireCredentials();
  assert.ok(list.length >= 1);
  assert.equal(await firstLaunchSmimeState({ enableOnFirstLaunch: true }, source), 'enabled');
  const signer = await source.signer();
  assert.ok(signer, 'alice signs');
  const data = Buffer.from('to be signed by the token');
  const signature = await signer.key.sign(data, 'rsa-pkcs1', 'sha256');
  writeFileSync(join(work!, 'data'), data);
  writeFileSync(join(work!, 'sig'), signature);
  execFileSync('openssl', ['x509', '-in', pkiFile('alice.der'), '-inform', 'DER', '-pubkey', '-noout', '-out', join(work!, 'pub.pem')]);
  const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(work!, 'pub.pem'), '-signature', join(work!, 'sig'), join(work!, 'data')]).toString();
  assert.match(out, /Verified OK/);
  assert.ok((await source.decryptors()).length >= 1, 'alice decrypts too');
});

test('cachet token list --json lists the token credential; a wrong PIN exits with its error', async () => {
  const ok = await runCachet(['token', 'list', '--token-label', hsm!.label, '--json'], { env: { CACHET_TOKEN_PIN: hsm!.pin } });
  assert.equal(ok.status, 0, ok.stderr);
  const parsed = JSON.parse(ok.stdout) as { credentials: Array<{ id: string }> };
  assert.ok(parsed.credentials.some((c) => c.id === '01'));
  const bad = await runCachet(['token', 'list', '--token-label', hsm!.label], { env: { CACHET_TOKEN_PIN: '0000' } });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /PIN/);
});
