/** `cachet sign` and `cachet verify` run in-process (test/helpers/cli.ts). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCachet } from '../../../../test/helpers/cli.js';
import { pkiBytes, pkiFile } from '../../../../test/helpers/pki.js';
import { run, tempDir } from '../../../../test/interop/signing/support.js';

const MESSAGE = 'From: alice@example.com\r\nTo: bob@example.com\r\nSubject: hello\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nHi Bob,\r\nsigned from the CLI.\r\n';

let dir: ReturnType<typeof tempDir>;
let alicePem: string;
let carolPem: string;
before(() => {
  dir = tempDir('cachet-cli-sign-');
  alicePem = join(dir.path, 'alice-signer.pem');
  writeFileSync(alicePem, Buffer.concat([pkiBytes('alice.key'), pkiBytes('alice.pem'), pkiBytes('ca.pem')]));
  carolPem = join(dir.path, 'carol-signer.pem');
  writeFileSync(carolPem, Buffer.concat([pkiBytes('carol.key'), pkiBytes('carol.pem')]));
  writeFileSync(join(dir.path, 'msg.eml'), MESSAGE);
  writeFileSync(join(dir.path, 'password'), 'test\n');
});
after(() => dir?.remove());

describe('cachet sign / verify', () => {
  for (const opaque of [false, true]) {
    test(`${opaque ? 'opaque' : 'detached'}: sign, verify --json --trust, openssl agrees`, async () => {
      const signed = join(dir.path, `signed-${opaque}.eml`);
      const s = await runCachet(['sign', '--signer', alicePem, ...(opaque ? ['--opaque'] : []), '-i', join(dir.path, 'msg.eml'), '-o', signed]);
      assert.equal(s.status, 0, s.stderr);
      const text = readFileSync(signed, 'latin1');
      assert.match(text, /^From: alice@example\.com\r\nTo: bob@example\.com\r\nSubject: hello\r\nMIME-Version: 1\.0\r\n/);
      assert.equal(run('openssl', ['cms', '-verify', '-in', signed, '-CAfile', pkiFile('ca.pem'), '-out', '/dev/null']).status, 0);

      const v = await runCachet(['verify', '--trust', pkiFile('ca.pem'), '--json', '-i', signed]);
      assert.equal(v.status, 0, v.stderr);
      const json = JSON.parse(v.stdout);
      assert.equal(json.valid, true);
      assert.equal(json.trusted, true);
      assert.equal(json.signers.length, 1);
      assert.deepEqual(json.signers[0].email, ['alice@example.com']);
      assert.equal(json.signers[0].digest, 'sha256');
      assert.equal(json.signers[0].error, null);
      assert.match(json.signers[0].signingTime, /^\d{4}-\d\d-\d\dT/);

      const untrusted = await runCachet(['verify', '--trust', pkiFile('bars.pem'), '--json', '-i', signed]);
      assert.equal(untrusted.status, 5);
      const u = JSON.parse(untrusted.stdout);
      assert.equal(u.valid, true);
      assert.equal(u.trusted, false);
      assert.equal(u.signers[0].error.code, 'ERR_CHAIN_UNTRUSTED');
    });
  }

  test('tampered message: exit 1, one line on stderr, error code in --json', async () => {
    const signed = join(dir.path, 'tamper.eml');
    assert.equal((await runCachet(['sign', '--signer', carolPem, '-i', join(dir.path, 'msg.eml'), '-o', signed])).status, 0);
    writeFileSync(signed, readFileSync(signed, 'latin1').replace('Hi Bob', 'Hi Rob'), 'latin1');
    const v = await runCachet(['verify', '--json', '-i', signed]);
    assert.equal(v.status, 1);
    const json = JSON.parse(v.stdout);
    assert.equal(json.valid, false);
    assert.equal(json.trusted, null);
    assert.equal(json.signers[0].error.code, 'ERR_DIGEST_MISMATCH');
    assert.equal(v.stderr.trim().split('\n').length, 1);
  });

  test('bare DER detached signature with --content, --at, and -o only on success', async () => {
    const sig = join(dir.path, 'sig.der');
    const content = join(dir.path, 'content.txt');
    writeFileSync(content, 'some content\r\n');
    assert.equal(run('openssl', ['cms', '-sign', '-binary', '-outform', 'DER', '-in', content, '-signer', pkiFile('alice.pem'), '-inkey', pkiFile('alice.key'), '-out', sig]).status, 0);
    const out = join(dir.path, 'verified.txt');
    const v = await runCachet(['verify', '-i', sig, '--content', content, '--trust', pkiFile('ca.pem'), '--at', new Date().toISOString(), '-o', out]);
    assert.equal(v.status, 0, v.stderr);
    assert.equal(readFileSync(out, 'utf8'), 'some content\r\n');
    // far in the future the certificates have expired: not trusted, and no output written
    const later = join(dir.path, 'later.txt');
    const expired = await runCachet(['verify', '-i', sig, '--content', content, '--trust', pkiFile('ca.pem'), '--at', '2199-01-01T00:00:00Z', '--json', '-o', later]);
    assert.equal(expired.status, 5);
    assert.equal(JSON.parse(expired.stdout).signers[0].error.code, 'ERR_CERT_EXPIRED');
    assert.equal(existsSync(later), false);
  });

  test('--signer FILE.p12 with --password-file or CACHET_PASSWORD; a wrong password exits 4', async () => {
    const signed = join(dir.path, 'p12-signed.eml');
    const s = await runCachet(['sign', '--signer', pkiFile('dan.p12'), '--password-file', join(dir.path, 'password'), '--opaque', '-i', join(dir.path, 'msg.eml'), '-o', signed]);
    assert.equal(s.status, 0, s.stderr);
    // dan is issued by the intermediate: the chain from the .p12 travels in the signature.
    const v = await runCachet(['verify', '--trust', pkiFile('ca.pem'), '--json', '-i', signed]);
    assert.equal(v.status, 0, v.stderr);
    assert.deepEqual(JSON.parse(v.stdout).signers[0].email, ['dan@example.com']);
    const withEnv = await runCachet(['sign', '--signer', pkiFile('alice.p12'), '-i', join(dir.path, 'msg.eml'), '-o', join(dir.path, 'p12-env.eml')], { env: { CACHET_PASSWORD: 'test' } });
    assert.equal(withEnv.status, 0, withEnv.stderr);
    writeFileSync(join(dir.path, 'wrong'), 'nope\n');
    const wrong = await runCachet(['sign', '--signer', pkiFile('alice.p12'), '--password-file', join(dir.path, 'wrong'), '-i', join(dir.path, 'msg.eml')]);
    assert.equal(wrong.status, 4);
    assert.match(wrong.stderr, /password/i);
  });

  test('eve (issued by the untrusted Bars Root CA, claiming alice) is valid but not trusted: exit 5', async () => {
    const signed = join(dir.path, 'eve.eml');
    const s = await runCachet(['sign', '--signer', pkiFile('eve.p12'), '--password-file', join(dir.path, 'password'), '-i', join(dir.path, 'msg.eml'), '-o', signed]);
    assert.equal(s.status, 0, s.stderr);
    const v = await runCachet(['verify', '--trust', pkiFile('ca.pem'), '--json', '-i', signed]);
    assert.equal(v.status, 5);
    const json = JSON.parse(v.stdout);
    assert.equal(json.valid, true);
    assert.equal(json.trusted, false);
    assert.deepEqual(json.signers[0].email, ['alice@example.com']);
    assert.equal(json.signers[0].error.code, 'ERR_CHAIN_UNTRUSTED');
    assert.match(v.stderr, /not trusted/);
  });

  test('usage errors and garbage input give stable codes', async () => {
    assert.equal((await runCachet(['sign', '-i', join(dir.path, 'msg.eml')])).status, 2);
    const garbage = join(dir.path, 'garbage.der');
    writeFileSync(garbage, Buffer.from([0x30, 0x80, 0x06, 0x09, 1, 2, 3]));
    const g = await runCachet(['verify', '--json', '-i', garbage]);
    assert.equal(g.status, 1);
    assert.equal(JSON.parse(g.stdout).error.code, 'ERR_CMS_MALFORMED');
    assert.equal((await runCachet(['verify', '--at', 'yesterday', '-i', garbage])).status, 2);
  });
});
