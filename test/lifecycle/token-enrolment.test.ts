/**
 * Issue 17, derived credentials enrolled on a real PKCS#11 token (SoftHSM2): the user's key pairs are
 * generated on the token (pkcs11-tool shows them sensitive and never extractable), the token signs
 * the requests, the certificates are written back, and the card then works as the user's
 * derivedCredentials source: it signs (OpenSSL verifies) and decrypts what OpenSSL encrypted to it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cachet, caWorkspace, openssl, type CaWorkspace } from '../ca/support.js';
import { createSoftHsm, type SoftHsm } from '../helpers/softhsm.js';

const CARD = 'frank-card';
let ws: CaWorkspace;
let hsm: SoftHsm;
const enrolled: Record<string, { serial: string; id: string }> = {};

function listObjects(): string {
  return execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', CARD, '--login', '--pin', hsm.pin, '--list-objects'], { encoding: 'utf8' });
}

before(async () => {
  hsm = createSoftHsm([], CARD, '4711');
  ws = caWorkspace('cachet-enrol-token-');
  writeFileSync(ws.path('user-pin'), `${hsm.pin}\n`);
  assert.equal((await cachet(['ca', 'init', '--key', 'ec-p256', '--passphrase-file', ws.passphraseFile], ws.env)).status, 0);
  assert.equal((await cachet(['ca', 'cert', '--root', '-o', ws.path('root.pem')], ws.env)).status, 0);
});
after(() => {
  ws?.remove();
  hsm?.remove();
});

describe('cachet ca enrol-token (SoftHSM2)', () => {
  test('a wrong PIN of the user token: exit 4, nothing generated, nothing issued', async () => {
    writeFileSync(ws.path('bad-pin'), '0000\n');
    const r = await cachet(['ca', 'enrol-token', '--email', 'frank@example.com', '--template', 'signing-only', '--token-label', CARD, '--user-pin-file', ws.path('bad-pin'), '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(r.status, 4);
    assert.equal(JSON.parse(r.stdout).error.code, 'ERR_TOKEN_PIN_INCORRECT');
    assert.doesNotMatch(listObjects(), /Private Key Object/);
    assert.equal(JSON.parse((await cachet(['ca', 'list', '--json'], ws.env)).stdout).certificates.length, 0);
  });

  for (const [template, key] of [['signing-only', 'ec-p256'], ['encryption-only', 'rsa-2048']] as const) {
    test(`${template} (${key}): the key is made on the token, certified, the certificate written back`, async () => {
      const r = await cachet(['ca', 'enrol-token', '--email', 'frank@example.com', '--template', template, '--key', key, '--token-label', CARD, '--pkcs11-module', hsm.module, '--user-pin-file', ws.path('user-pin'), '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
      assert.equal(r.status, 0, r.stderr);
      const result = JSON.parse(r.stdout) as { serial: string; id: string; label: string };
      enrolled[template] = result;
      const objects = listObjects();
      const privateKey = new RegExp(`Private Key Object[^\\n]*\\n(?:\\s+.*\\n)*?\\s+ID:\\s+${result.id}\\n(?:\\s+.*\\n)*?\\s+Access:\\s+([^\\n]*)`).exec(objects);
      assert.ok(privateKey, objects);
      assert.match(privateKey[1]!, /sensitive/);
      assert.match(privateKey[1]!, /never extractable/);
      assert.match(privateKey[1]!, /local/, 'generated on the token (CKA_LOCAL), not imported');
      const der = ws.path(`${template}.der`);
      execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', CARD, '--read-object', '--type', 'cert', '--id', result.id, '-o', der]);
      const pem = ws.path(`${template}.pem`);
      assert.equal(openssl(['x509', '-inform', 'DER', '-in', der, '-out', pem]).status, 0);
      assert.equal(openssl(['x509', '-in', pem, '-noout', '-serial']).stdout.trim().toLowerCase(), `serial=${result.serial}`);
      const verified = openssl(['verify', '-CAfile', ws.path('root.pem'), '-purpose', template === 'signing-only' ? 'smimesign' : 'smimeencrypt', pem]);
      assert.equal(verified.status, 0, verified.stdout + verified.stderr);
      const record = JSON.parse((await cachet(['ca', 'list', '--json'], ws.env)).stdout).certificates.find((c: { serial: string }) => c.serial === result.serial);
      assert.match(record.delivered.via, /token/);
    });
  }

  test('the card works as the derivedCredentials source: it signs, and decrypts on the token', async () => {
    const home = ws.path('user-home');
    const userEnv = { CACHET_HOME: home };
    execFileSync('mkdir', ['-p', home]);
    writeFileSync(join(home, 'policy.yaml'), `certificateSource: derivedCredentials\npkcs11Module: ${hsm.module}\ntokenLabel: ${CARD}\n`);
    writeFileSync(ws.path('msg.eml'), 'From: frank@example.com\r\nTo: bob@example.com\r\nSubject: from the card\r\nContent-Type: text/plain\r\n\r\nSigned on the card.\r\n');
    const signed = await cachet(['sign', '--pin-file', ws.path('user-pin'), '-i', ws.path('msg.eml'), '-o', ws.path('signed.eml')], userEnv);
    assert.equal(signed.status, 0, signed.stderr);
    const verified = openssl(['cms', '-verify', '-in', ws.path('signed.eml'), '-CAfile', ws.path('root.pem'), '-out', '/dev/null']);
    assert.equal(verified.status, 0, verified.stderr);
    const sealed = openssl(['cms', '-encrypt', '-aes-256-cbc', '-in', ws.path('msg.eml'), '-out', ws.path('sealed.eml'), ws.path('encryption-only.pem')]);
    assert.equal(sealed.status, 0, sealed.stderr);
    const opened = await cachet(['decrypt', '--pin-file', ws.path('user-pin'), '-i', ws.path('sealed.eml')], userEnv);
    assert.equal(opened.status, 0, opened.stderr);
    assert.match(opened.stdout, /Signed on the card\./);
  });
});
