/**
 * `cachet ca issue --email … --out FILE.p12`: Cachet makes the key pair and exports it with the
 * certificate and the whole chain; OpenSSL and NSS open the file (modern by default: PBES2/AES-256 with a
 * SHA-256 MAC; `--legacy`: 3DES with a SHA-1 MAC, read with `openssl pkcs12 -legacy` and by gpgsm).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { isCachetError } from '../../src/errors.js';
import { exportPfx } from '../../src/adapters/ca/export.js';
import { getTemplate } from '../../src/adapters/ca/templates.js';
import { cachet, caWorkspace, openssl, PFX_PASSWORD, run, type CaWorkspace } from './support.js';
import { makeGnupgHome, runTool, stopGnupg } from '../helpers/oracles.js';

let ws: CaWorkspace;
before(async () => {
  ws = caWorkspace('cachet-ca-pfx-');
  assert.equal((await cachet(['ca', 'init', '--intermediate', '--key', 'ec-p256', '--passphrase-file', ws.passphraseFile], ws.env)).status, 0);
  assert.equal((await cachet(['ca', 'cert', '--root', '-o', ws.path('root.pem')], ws.env)).status, 0);
});
after(() => ws?.remove());

describe('PKCS#12 export', () => {
  for (const [legacy, key] of [[false, 'ec-p256'], [true, 'rsa-2048']] as const) {
    test(`${legacy ? 'legacy (3DES, SHA-1 MAC)' : 'modern (PBES2/AES-256, SHA-256 MAC)'} ${key}: openssl opens it; key, certificate and chain inside`, async () => {
      const out = ws.path(`carol-${key}.p12`);
      const r = await cachet(['ca', 'issue', '--template', 'dual', '--email', 'carol@example.com', '--name', 'Carol', '--key', key, '--out', out, '--password-file', ws.passwordFile, '--passphrase-file', ws.passphraseFile, ...(legacy ? ['--legacy'] : [])], ws.env);
      assert.equal(r.status, 0, r.stderr);
      const flags = legacy ? ['-legacy'] : [];
      const info = openssl(['pkcs12', '-info', '-noout', '-in', out, '-passin', `pass:${PFX_PASSWORD}`, ...flags]);
      assert.equal(info.status, 0, info.stderr);
      if (legacy) {
        assert.match(info.stderr, /MAC: sha1, Iteration 2048/);
        assert.match(info.stderr, /TripleDES|3DES/);
      } else {
        // A guess is checked against the MAC: it costs as much as against the key's KDF.
        assert.match(info.stderr, /MAC: sha256, Iteration 100000/);
        assert.match(info.stderr, /PBES2.*AES-256-CBC/);
      }
      const dump = openssl(['pkcs12', '-in', out, '-passin', `pass:${PFX_PASSWORD}`, '-nodes', ...flags]);
      assert.equal(dump.status, 0, dump.stderr);
      assert.equal(dump.stdout.match(/BEGIN CERTIFICATE/g)?.length, 3);
      assert.match(dump.stdout, /BEGIN PRIVATE KEY/);
      writeFileSync(ws.path('leaf.pem'), dump.stdout);
      const leafOnly = openssl(['pkcs12', '-in', out, '-passin', `pass:${PFX_PASSWORD}`, '-clcerts', '-nokeys', ...flags]).stdout;
      writeFileSync(ws.path('leaf-only.pem'), leafOnly);
      writeFileSync(ws.path('cas.pem'), openssl(['pkcs12', '-in', out, '-passin', `pass:${PFX_PASSWORD}`, '-cacerts', '-nokeys', ...flags]).stdout);
      const v = openssl(['verify', '-CAfile', ws.path('root.pem'), '-untrusted', ws.path('cas.pem'), '-purpose', 'smimesign', ws.path('leaf-only.pem')]);
      assert.equal(v.status, 0, v.stdout + v.stderr);
      assert.notEqual(openssl(['pkcs12', '-info', '-noout', '-in', out, '-passin', 'pass:wrong-password', ...flags]).status, 0, 'the wrong password does not open it');
      // Thunderbird's NSS imports it too (key and certificate), high MAC iteration count included.
      const db = ws.path(`nss-${key}`);
      mkdirSync(db);
      assert.equal(run('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']).status, 0);
      const imported = run('pk12util', ['-i', out, '-d', `sql:${db}`, '-W', PFX_PASSWORD, '-K', '']);
      assert.equal(imported.status, 0, imported.stdout + imported.stderr);
      assert.match(run('certutil', ['-K', '-d', `sql:${db}`]).stdout, /carol/i);
      if (legacy) {
        // gpgsm reads only the legacy form (no PBES2), which is what --legacy is for.
        const gnupg = makeGnupgHome(ws.path('gnupg'), []);
        try {
          const imported = runTool('gpgsm', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--import', out], { env: gnupg, input: `${PFX_PASSWORD}\n` });
          assert.equal(imported.status, 0, imported.stderr);
          assert.match(runTool('gpgsm', ['--batch', '--list-secret-keys'], { env: gnupg }).stdout.toString(), /carol@example\.com/);
        } finally {
          stopGnupg(gnupg);
        }
      }
    });
  }

  test('a short password, and a template whose keys may not leave, are refused before anything is written', async () => {
    writeFileSync(ws.path('short'), 'abc');
    const r = await cachet(['ca', 'issue', '--template', 'signing-only', '--email', 'x@example.com', '--out', ws.path('x.p12'), '--password-file', ws.path('short'), '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(JSON.parse(r.stdout).error.code, 'ERR_USAGE');
    const template = { ...getTemplate('signing-only'), exportableKey: false };
    await assert.rejects(
      exportPfx({ template, privateKeyPkcs8: new Uint8Array(1), certificate: new Uint8Array(1), chain: [], password: 'long enough password' }, async () => new Uint8Array(1)),
      (e) => isCachetError(e, 'ERR_POLICY_FORBIDS'),
    );
  });
});
