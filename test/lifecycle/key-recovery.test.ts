/**
 * Issue 17, key archival and recovery: encryption keys only, under a recovery key two named officers
 * open together. OpenSSL encrypts mail to the certificate and decrypts it with the recovered key;
 * signing (and dual-use) keys are refused before anything is issued.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cachet, caWorkspace, openssl, type CaWorkspace } from '../ca/support.js';

let ws: CaWorkspace;
const officer = (name: string, passphrase = `${name} recovery passphrase`): string => {
  writeFileSync(ws.path(`${name}.pass`), `${passphrase}\n`);
  return `${name}:${ws.path(`${name}.pass`)}`;
};
const issuedCount = async (): Promise<number> => JSON.parse((await cachet(['ca', 'list', '--json'], ws.env)).stdout).certificates.length;
const issue = (template: string, out: string) => cachet(['ca', 'issue', '--template', template, '--email', 'erin@example.com', '--key', 'rsa-2048', '--archive-key', '--out', ws.path(out), '--password-file', ws.passwordFile, '--passphrase-file', ws.passphraseFile, '--json'], ws.env);

before(async () => {
  ws = caWorkspace('cachet-recovery-');
  assert.equal((await cachet(['ca', 'init', '--key', 'ec-p256', '--passphrase-file', ws.passphraseFile], ws.env)).status, 0);
});
after(() => ws?.remove());

describe('key archival and recovery', () => {
  test('no archival without a recovery key; a recovery key needs two officers at least', async () => {
    const early = await issue('encryption-only', 'early.p12');
    assert.equal(JSON.parse(early.stdout).error.code, 'ERR_KEY_NOT_FOUND');
    assert.equal(await issuedCount(), 0, 'nothing issued');
    assert.equal((await cachet(['ca', 'recovery-init', '--officer', officer('anna')], ws.env)).status, 2);
    const init = await cachet(['ca', 'recovery-init', '--officer', officer('anna'), '--officer', officer('ben'), '--officer', officer('cleo'), '--json'], ws.env);
    assert.equal(init.status, 0, init.stderr);
    assert.deepEqual(JSON.parse(init.stdout).officers, ['anna', 'ben', 'cleo']);
    assert.equal((await cachet(['ca', 'recovery-init', '--officer', officer('anna'), '--officer', officer('ben')], ws.env)).status, 1, 'never replaced');
  });

  test('signing and dual-use keys are never archived (exit 7, nothing issued)', async () => {
    for (const template of ['signing-only', 'dual', 'multipurpose']) {
      const r = await issue(template, `${template}.p12`);
      assert.equal(r.status, 7, template);
      assert.equal(JSON.parse(r.stdout).error.code, 'ERR_POLICY_FORBIDS');
    }
    assert.equal(await issuedCount(), 0);
  });

  test('an archived encryption key is recovered by two officers together, and opens mail OpenSSL encrypted', async () => {
    const issued = await issue('encryption-only', 'erin-enc.p12');
    assert.equal(issued.status, 0, issued.stderr);
    const serial = JSON.parse(issued.stdout).serial as string;
    const archive = join(ws.env.CACHET_HOME!, 'ca', 'archive', `${serial}.json`);
    assert.ok(existsSync(archive));
    assert.equal(openssl(['pkcs12', '-in', ws.path('erin-enc.p12'), '-passin', `file:${ws.passwordFile}`, '-nocerts', '-nodes', '-out', ws.path('original.key')]).status, 0);
    const pkcs8Base64 = readFileSync(ws.path('original.key'), 'utf8').replace(/-----[^-]+-----|\s+/g, '');
    assert.ok(!readFileSync(archive, 'utf8').includes(pkcs8Base64.slice(40, 100)), 'the archive holds no clear key');
    assert.equal(openssl(['pkcs12', '-in', ws.path('erin-enc.p12'), '-passin', `file:${ws.passwordFile}`, '-nokeys', '-clcerts', '-out', ws.path('erin.pem')]).status, 0);
    writeFileSync(ws.path('mail.txt'), 'Content-Type: text/plain\r\n\r\nfor erin only\r\n');
    assert.equal(openssl(['cms', '-encrypt', '-aes-256-cbc', '-in', ws.path('mail.txt'), '-out', ws.path('mail.eml'), ws.path('erin.pem')]).status, 0);

    const recover = (a: string, b: string) => cachet(['ca', 'recover', serial, '--officer', a, '--officer', b, '--out', ws.path('recovered.p12'), '--password-file', ws.passwordFile, '--json'], ws.env);
    assert.equal((await recover(officer('anna'), officer('anna'))).status, 2, 'one officer twice is not two');
    const one = await cachet(['ca', 'recover', serial, '--officer', officer('anna'), '--out', ws.path('recovered.p12'), '--password-file', ws.passwordFile], ws.env);
    assert.equal(one.status, 2, 'one officer alone cannot');
    const wrong = await recover(officer('anna'), officer('ben', 'not bens passphrase at all'));
    assert.equal(wrong.status, 4);
    assert.equal(JSON.parse(wrong.stdout).error.code, 'ERR_VAULT_BAD_PASSPHRASE');
    assert.equal(existsSync(ws.path('recovered.p12')), false);

    const ok = await recover(officer('ben'), officer('cleo'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(openssl(['pkcs12', '-in', ws.path('recovered.p12'), '-passin', `file:${ws.passwordFile}`, '-nocerts', '-nodes', '-out', ws.path('recovered.key')]).status, 0);
    assert.equal(openssl(['pkey', '-in', ws.path('recovered.key')]).stdout, openssl(['pkey', '-in', ws.path('original.key')]).stdout, 'the very key that was archived');
    const opened = openssl(['cms', '-decrypt', '-in', ws.path('mail.eml'), '-inkey', ws.path('recovered.key'), '-recip', ws.path('erin.pem')]);
    assert.equal(opened.status, 0, opened.stderr);
    assert.match(opened.stdout, /for erin only/);

    const events = JSON.parse((await cachet(['ca', 'audit', '--serial', serial, '--verify', '--json'], ws.env)).stdout).events as Array<{ action: string; details?: { officers?: string[]; outcome?: string } }>;
    assert.deepEqual(events.map((e) => [e.action, e.details?.officers?.join('+') ?? null, e.details?.outcome ?? null]), [
      ['issue', null, null],
      ['archive-key', null, null],
      ['recover-key', 'anna+ben', 'wrong passphrase'],
      ['recover-key', 'ben+cleo', null],
    ]);
  });
});
