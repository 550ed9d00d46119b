/**
 * Issue 17, renewal of keys that are not in the vault: with the derivedCredentials source (SoftHSM2),
 * `cachet cert renew` makes the successor's key pair ON the token, the token signs the request, the
 * administrator approves, and the next run writes the new certificate onto the token beside its key;
 * the old key and certificate stay there. With the shared vault the command refuses, saying why.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cachet, caWorkspace, openssl, type CaWorkspace } from '../ca/support.js';
import { createSoftHsm, type SoftHsm } from '../helpers/softhsm.js';

const CARD = 'gina-card';
let ws: CaWorkspace;
let hsm: SoftHsm;
let userEnv: NodeJS.ProcessEnv;

function objects(type: 'cert' | 'privkey'): string[] {
  const out = execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', CARD, '--login', '--pin', hsm.pin, '--list-objects', '--type', type], { encoding: 'utf8' });
  return [...out.matchAll(/^\s+ID:\s+(\S+)$/gm)].map((m) => m[1]!);
}

before(async () => {
  hsm = createSoftHsm([], CARD, '1357');
  ws = caWorkspace('cachet-renew-token-');
  writeFileSync(ws.path('pin'), `${hsm.pin}\n`);
  assert.equal((await cachet(['ca', 'init', '--key', 'ec-p256', '--passphrase-file', ws.passphraseFile], ws.env)).status, 0);
  assert.equal((await cachet(['ca', 'cert', '--root', '-o', ws.path('root.pem')], ws.env)).status, 0);
  const enrolled = await cachet(['ca', 'enrol-token', '--email', 'gina@example.com', '--template', 'encryption-only', '--key', 'rsa-2048', '--token-label', CARD, '--pkcs11-module', hsm.module, '--user-pin-file', ws.path('pin'), '--passphrase-file', ws.passphraseFile], ws.env);
  assert.equal(enrolled.status, 0, enrolled.stderr);
  writeFileSync(join(ws.env.CACHET_HOME!, 'policy.yaml'), `certificateSource: derivedCredentials\npkcs11Module: ${hsm.module}\ntokenLabel: ${CARD}\n`);
  mkdirSync(ws.path('gina'));
  userEnv = { ...ws.env, CACHET_ORG_HOME: ws.env.CACHET_HOME, CACHET_HOME: ws.path('gina'), SOFTHSM2_CONF: process.env.SOFTHSM2_CONF };
});
after(() => {
  ws?.remove();
  hsm?.remove();
});

describe('cachet cert renew with keys on a token (SoftHSM2)', () => {
  test('the successor key is made on the token, approved, its certificate written back; the old key stays', async () => {
    const [oldId] = objects('privkey');
    const requested = await cachet(['cert', 'renew', '--days', '1000', '--pin-file', ws.path('pin'), '--json'], userEnv);
    assert.equal(requested.status, 0, requested.stderr);
    const first = JSON.parse(requested.stdout).renewals as Array<{ action: string; requestId: string }>;
    assert.deepEqual(first.map((r) => r.action), ['requested']);
    const keys = objects('privkey');
    assert.equal(keys.length, 2, 'a second key pair, made on the token');
    const newId = keys.find((id) => id !== oldId)!;
    const again = await cachet(['cert', 'renew', '--days', '1000', '--pin-file', ws.path('pin'), '--json'], userEnv);
    assert.deepEqual((JSON.parse(again.stdout).renewals as Array<{ action: string }>).map((r) => r.action), ['waiting']);

    const approved = await cachet(['ca', 'approve', '--all', '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(approved.status, 0, approved.stdout + approved.stderr);
    const installed = await cachet(['cert', 'renew', '--days', '1000', '--pin-file', ws.path('pin'), '--json'], userEnv);
    assert.equal(installed.status, 0, installed.stderr);
    const outcome = (JSON.parse(installed.stdout).renewals as Array<{ action: string; serial?: string }>).find((r) => r.action === 'installed');
    assert.ok(outcome, installed.stdout);
    // On the token: both keys, both certificates; the new one under the new key's id, verified by OpenSSL.
    assert.deepEqual(objects('cert').sort(), [oldId!, newId].sort());
    execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', CARD, '--read-object', '--type', 'cert', '--id', newId, '-o', ws.path('new.der')]);
    assert.equal(openssl(['x509', '-inform', 'DER', '-in', ws.path('new.der'), '-out', ws.path('new.pem')]).status, 0);
    assert.equal(openssl(['x509', '-in', ws.path('new.pem'), '-noout', '-serial']).stdout.trim().toLowerCase().replace(/^serial=0*/, ''), outcome.serial!.replace(/^0+/, ''));
    assert.equal(openssl(['verify', '-CAfile', ws.path('root.pem'), '-purpose', 'smimeencrypt', ws.path('new.pem')]).status, 0);
    // The CA recorded the renewal of the old serial.
    const records = JSON.parse((await cachet(['ca', 'list', '--json'], ws.env)).stdout).certificates as Array<{ serial: string; renews?: string }>;
    assert.ok(records.some((r) => r.serial.replace(/^0+/, '') === outcome.serial!.replace(/^0+/, '') && r.renews), JSON.stringify(records));
  });

  test('keys in the shared vault: refused with the reason (exit 7), nothing requested', async () => {
    writeFileSync(join(ws.env.CACHET_HOME!, 'policy.yaml'), 'certificateSource: sharedVault\n');
    const r = await cachet(['cert', 'renew', '--days', '1000', '--json'], userEnv);
    assert.equal(r.status, 7);
    const error = JSON.parse(r.stdout).error as { code: string; message: string };
    assert.equal(error.code, 'ERR_POLICY_FORBIDS');
    assert.match(error.message, /shared vault, which an app cannot put a new key into/);
  });
});
