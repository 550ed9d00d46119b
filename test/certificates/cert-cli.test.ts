/**
 * `cachet cert inspect|import|list|export|remove` with the test PKI's real PKCS#12 files (OpenSSL 3
 * and Windows-style legacy), run in-process with CACHET_HOME in a temporary directory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { certificateDer, pkiBytes, pkiFile } from '../helpers/pki.js';

let root: string;
let passwordFile: string;
let home: string;
let homes = 0;

/** A fresh CACHET_HOME for each test that writes to it. */
function freshHome(): { CACHET_HOME: string; CACHET_VAULT_PASSPHRASE: string; CACHET_PASSWORD: string } {
  home = join(root, `home-${homes++}`);
  return { CACHET_HOME: home, CACHET_VAULT_PASSPHRASE: 'correct horse', CACHET_PASSWORD: 'test' };
}

const fingerprint = (name: string): string => createHash('sha256').update(certificateDer(name)).digest('hex');

before(() => {
  root = mkdtempSync(join(tmpdir(), 'cachet-cert-cli-'));
  passwordFile = join(root, 'p12-password');
  writeFileSync(passwordFile, 'test\n');
});
after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('cachet cert inspect', () => {
  test('a PKCS#12 file: the holder first with key, role, e-mail, SHA-256 fingerprint; then the chain', async () => {
    const r = await runCachet(['cert', 'inspect', pkiFile('alice.p12'), '--password-file', passwordFile, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { format: string; certificates: Array<Record<string, unknown>>; chain: string[] };
    assert.equal(json.format, 'pkcs12');
    const [alice, ca] = json.certificates;
    assert.equal(alice!.role, 'dual');
    assert.equal(alice!.privateKey, true);
    assert.deepEqual(alice!.emails, ['alice@example.com']);
    assert.equal(alice!.fingerprintSha256, fingerprint('alice'));
    assert.equal(alice!.keyAlgorithm, 'RSA');
    assert.equal(alice!.keyBits, 2048);
    assert.deepEqual(alice!.keyUsage, ['digitalSignature', 'nonRepudiation', 'keyEncipherment']);
    assert.deepEqual(alice!.extendedKeyUsage, ['emailProtection', 'clientAuth']);
    // openssl agrees on the serial
    const serial = execFileSync('openssl', ['x509', '-in', pkiFile('alice.pem'), '-noout', '-serial'], { encoding: 'utf8' }).trim().split('=')[1]!;
    assert.equal(alice!.serialNumber, serial.toLowerCase().replace(/^0+(?=.)/, ''));
    assert.equal(ca!.role, 'none');
    assert.equal(ca!.isCa, true);
    assert.deepEqual(json.chain, ['CN=Test SMIME Root CA,O=Test']);
  });

  test('the legacy (Windows-style) file, PEM, DER and PKCS#7 forms name the same certificate and role', async () => {
    const p7b = join(root, 'grace.p7b');
    execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', pkiFile('grace-enc.pem'), '-outform', 'DER', '-out', p7b]);
    const p7c = join(root, 'grace.p7c');
    execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', pkiFile('grace-enc.pem'), '-out', p7c]);
    const cer = join(root, 'grace.cer');
    writeFileSync(cer, certificateDer('grace-enc'));
    for (const file of [pkiFile('grace-enc-legacy.p12'), pkiFile('grace-enc.pem'), cer, p7b, p7c]) {
      const r = await runCachet(['cert', 'inspect', file, '--json'], { env: { CACHET_PASSWORD: 'test' } });
      assert.equal(r.status, 0, `${file}: ${r.stderr}`);
      const first = (JSON.parse(r.stdout) as { certificates: Array<Record<string, unknown>> }).certificates[0]!;
      assert.equal(first.fingerprintSha256, fingerprint('grace-enc'), file);
      assert.equal(first.role, 'encryption', file);
      assert.equal(first.keyAlgorithm, 'EC');
      assert.equal(first.curve, 'P-256');
    }
  });

  test('text output names role and reasons; a wrong password says so (exit 4)', async () => {
    const r = await runCachet(['cert', 'inspect', pkiFile('tls-only.pem')]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Role:\s+none \(its extended key usage does not include e-mail protection\)/);
    assert.match(r.stdout, /SHA-256:\s+([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    assert.doesNotMatch(r.stdout, /EXPIRED/);
    const oscar = await runCachet(['cert', 'inspect', pkiFile('oscar.pem')]);
    assert.match(oscar.stdout, /Valid:\s+2020-01-01T00:00:00\.000Z to 2021-01-01T00:00:00\.000Z \(EXPIRED\)/);
    const bad = await runCachet(['cert', 'inspect', pkiFile('alice.p12'), '--json'], { env: { CACHET_PASSWORD: 'wrong' } });
    assert.equal(bad.status, 4);
    assert.equal((JSON.parse(bad.stdout) as { error: { code: string } }).error.code, 'ERR_PKCS12_BAD_PASSWORD');
    assert.match(bad.stderr, /the password for .*alice\.p12 is wrong/);
  });
});

describe('cachet cert import', () => {
  test('frank-sign is imported for signing and frank-enc for encryption, automatically, and the output says so', async () => {
    const env = freshHome();
    const sign = await runCachet(['cert', 'import', pkiFile('frank-sign.p12'), '--password-file', passwordFile], { env });
    assert.equal(sign.status, 0, sign.stderr);
    assert.match(sign.stdout, /as your signing certificate: it is a signing-only certificate/);
    const enc = await runCachet(['cert', 'import', pkiFile('frank-enc-legacy.p12'), '--json'], { env });
    assert.equal(enc.status, 0, enc.stderr);
    assert.deepEqual((JSON.parse(enc.stdout) as { imported: Array<{ role: string; chosen: boolean; id: string }> }).imported.map((i) => [i.role, i.chosen, i.id]), [
      ['encryption', false, fingerprint('frank-enc')],
    ]);
    const list = await runCachet(['cert', 'list', '--json'], { env });
    const credentials = (JSON.parse(list.stdout) as { credentials: Array<{ id: string; role: string; active: boolean }> }).credentials;
    assert.deepEqual(
      credentials.map((c) => [c.id, c.role, c.active]),
      [
        [fingerprint('frank-sign'), 'signing', true],
        [fingerprint('frank-enc'), 'encryption', true],
      ],
    );
  });

  test('alice (dual) needs a choice: an error naming the choices in a script, --role, or the prompt on a terminal', async () => {
    const env = freshHome();
    const ambiguous = await runCachet(['cert', 'import', pkiFile('alice.p12'), '--json'], { env });
    assert.equal(ambiguous.status, 1);
    assert.equal((JSON.parse(ambiguous.stdout) as { error: { code: string } }).error.code, 'ERR_CERT_ROLE_AMBIGUOUS');
    assert.match(ambiguous.stderr, /--role signing, --role encryption or --role both/);
    assert.equal(existsSync(join(env.CACHET_HOME, 'credentials.vault')), false, 'nothing imported, no vault created');

    const scripted = await runCachet(['cert', 'import', pkiFile('alice.p12'), '--role', 'encryption'], { env });
    assert.equal(scripted.status, 0, scripted.stderr);
    assert.match(scripted.stdout, /as your encryption certificate: it is dual-purpose and you chose encryption/);

    const env2 = freshHome();
    const asked = await runCachet(['cert', 'import', pkiFile('bob.p12')], { env: env2, answers: ['s'] });
    assert.equal(asked.status, 0, asked.stderr);
    assert.match(asked.stderr, /can both sign and encrypt\. Use it for \[s\]igning, \[e\]ncryption or \[b\]oth\?/);
    assert.match(asked.stdout, /as your signing certificate/);
  });

  test('tls-only is refused as unusable for S/MIME; a single-purpose certificate cannot take the other role', async () => {
    const env = freshHome();
    const tls = await runCachet(['cert', 'import', pkiFile('tls-only.p12'), '--json'], { env });
    assert.equal(tls.status, 1);
    assert.equal((JSON.parse(tls.stdout) as { error: { code: string } }).error.code, 'ERR_CERT_ROLE_UNUSABLE');
    const wrongRole = await runCachet(['cert', 'import', pkiFile('frank-enc.p12'), '--role', 'signing', '--json'], { env });
    assert.equal((JSON.parse(wrongRole.stdout) as { error: { code: string } }).error.code, 'ERR_CERT_ROLE_UNUSABLE');
    assert.equal(existsSync(join(env.CACHET_HOME, 'credentials.vault')), false);
  });

  test('a wrong PKCS#12 password: exit 4, and the vault file is unchanged', async () => {
    const env = freshHome();
    assert.equal((await runCachet(['cert', 'import', pkiFile('frank-sign.p12')], { env })).status, 0);
    const vault = join(env.CACHET_HOME, 'credentials.vault');
    const before = readFileSync(vault);
    const wrong = join(root, 'wrong-password');
    writeFileSync(wrong, 'not-the-password\n');
    const r = await runCachet(['cert', 'import', pkiFile('frank-enc.p12'), '--password-file', wrong, '--json'], { env });
    assert.equal(r.status, 4);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'ERR_PKCS12_BAD_PASSWORD');
    assert.deepEqual(readFileSync(vault), before);
  });

  test('on a terminal, a new vault asks for its passphrase twice; two different answers change nothing', async () => {
    const home = join(root, `home-${homes++}`);
    const env = { CACHET_HOME: home, CACHET_PASSWORD: 'test' };
    const differ = await runCachet(['cert', 'import', pkiFile('frank-sign.p12')], { env, answers: ['one', 'two'] });
    assert.equal(differ.status, 2);
    assert.match(differ.stderr, /the two passphrases differ/);
    assert.equal(existsSync(join(home, 'credentials.vault')), false);
    const same = await runCachet(['cert', 'import', pkiFile('frank-sign.p12')], { env, answers: ['s3cret', 's3cret'] });
    assert.equal(same.status, 0, same.stderr);
    assert.match(same.stderr, /New passphrase for your credential vault/);
    const listed = await runCachet(['cert', 'list', '--json'], { env, answers: ['s3cret'] });
    assert.equal((JSON.parse(listed.stdout) as { credentials: unknown[] }).credentials.length, 1);
  });

  test('a wrong vault passphrase: exit 4, ERR_VAULT_BAD_PASSPHRASE', async () => {
    const env = freshHome();
    assert.equal((await runCachet(['cert', 'import', pkiFile('frank-sign.p12')], { env })).status, 0);
    const r = await runCachet(['cert', 'list', '--json'], { env: { ...env, CACHET_VAULT_PASSPHRASE: 'wrong' } });
    assert.equal(r.status, 4);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'ERR_VAULT_BAD_PASSPHRASE');
  });

  test('replacing the active signing certificate needs --force (or a yes); the old one stays, inactive', async () => {
    const env = freshHome();
    assert.equal((await runCachet(['cert', 'import', pkiFile('frank-sign.p12')], { env })).status, 0);
    const refused = await runCachet(['cert', 'import', pkiFile('grace-sign.p12'), '--json'], { env });
    assert.equal(refused.status, 1);
    assert.equal((JSON.parse(refused.stdout) as { error: { code: string } }).error.code, 'ERR_CERT_EXISTS');
    const declined = await runCachet(['cert', 'import', pkiFile('grace-sign.p12')], { env, answers: ['n'] });
    assert.equal(declined.status, 1);
    assert.match(declined.stderr, /Replace your signing certificate frank@example\.com/);
    const forced = await runCachet(['cert', 'import', pkiFile('grace-sign.p12'), '--force'], { env });
    assert.equal(forced.status, 0, forced.stderr);
    const list = JSON.parse((await runCachet(['cert', 'list', '--json'], { env })).stdout) as { credentials: Array<{ id: string; active: boolean }> };
    assert.deepEqual(
      list.credentials.map((c) => [c.id, c.active]),
      [
        [fingerprint('frank-sign'), false],
        [fingerprint('grace-sign'), true],
      ],
    );
  });

  test('a newer encryption certificate becomes active; the older one is kept, inactive, never deleted', async () => {
    const env = freshHome();
    assert.equal((await runCachet(['cert', 'import', pkiFile('frank-enc.p12')], { env })).status, 0);
    assert.equal((await runCachet(['cert', 'import', pkiFile('grace-enc.p12')], { env })).status, 0);
    const list = JSON.parse((await runCachet(['cert', 'list', '--json'], { env })).stdout) as { credentials: Array<{ id: string; role: string; active: boolean }> };
    assert.deepEqual(
      list.credentials.map((c) => [c.id, c.role, c.active]),
      [
        [fingerprint('frank-enc'), 'encryption', false],
        [fingerprint('grace-enc'), 'encryption', true],
      ],
    );
  });

  test('the private key is never in clear in the vault file', async () => {
    const env = freshHome();
    assert.equal((await runCachet(['cert', 'import', pkiFile('frank-sign.p12')], { env })).status, 0);
    const vault = readFileSync(join(env.CACHET_HOME, 'credentials.vault'));
    const keyDer = Buffer.from(pkiBytes('frank-sign.key').toString('latin1').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    assert.equal(vault.includes(keyDer.subarray(40, 72)), false);
    assert.equal(vault.includes(Buffer.from(keyDer.toString('base64').slice(60, 100))), false);
    assert.equal(vault.includes(Buffer.from('frank@example.com')), false, 'even the metadata is encrypted');
  });
});

describe('cachet cert export / remove', () => {
  test('export writes a PKCS#12 that openssl reads with the new password, with the chain; --legacy too', async () => {
    const env = freshHome();
    assert.equal((await runCachet(['cert', 'import', pkiFile('alice.p12'), '--role', 'signing'], { env })).status, 0);
    const out = join(root, 'alice-export.p12');
    const newPassword = join(root, 'new-password');
    writeFileSync(newPassword, 'n3w-pass\n');
    const id = fingerprint('alice').slice(0, 12);
    const r = await runCachet(['cert', 'export', id, '--out', out, '--password-file', newPassword], { env });
    assert.equal(r.status, 0, r.stderr);
    const certs = execFileSync('openssl', ['pkcs12', '-in', out, '-passin', 'pass:n3w-pass', '-nokeys'], { encoding: 'utf8' });
    assert.equal(certs.match(/BEGIN CERTIFICATE/g)?.length, 2);
    const key = execFileSync('openssl', ['pkcs12', '-in', out, '-passin', 'pass:n3w-pass', '-nocerts', '-nodes'], { encoding: 'utf8' });
    assert.match(key, /BEGIN PRIVATE KEY/);
    const legacyOut = join(root, 'alice-export-legacy.p12');
    assert.equal((await runCachet(['cert', 'export', id, '--out', legacyOut, '--password-file', newPassword, '--legacy'], { env })).status, 0);
    const info = execFileSync('openssl', ['pkcs12', '-in', legacyOut, '-passin', 'pass:n3w-pass', '-info', '-noout', '-legacy'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(typeof info, 'string');
    // and cachet reads its own export back
    const back = await runCachet(['cert', 'inspect', legacyOut, '--json', '--password-file', newPassword]);
    assert.equal((JSON.parse(back.stdout) as { certificates: Array<{ fingerprintSha256: string }> }).certificates[0]!.fingerprintSha256, fingerprint('alice'));
  });

  test('remove: a signing credential goes; an encryption one needs --force; unknown ids are named', async () => {
    const env = freshHome();
    assert.equal((await runCachet(['cert', 'import', pkiFile('frank-sign.p12')], { env })).status, 0);
    assert.equal((await runCachet(['cert', 'import', pkiFile('frank-enc.p12')], { env })).status, 0);
    const enc = await runCachet(['cert', 'remove', fingerprint('frank-enc').slice(0, 16), '--json'], { env });
    assert.equal(enc.status, 7);
    assert.match(enc.stderr, /unreadable/);
    assert.equal((await runCachet(['cert', 'remove', fingerprint('frank-enc').slice(0, 16), '--force'], { env })).status, 0);
    assert.equal((await runCachet(['cert', 'remove', fingerprint('frank-sign')], { env })).status, 0);
    const missing = await runCachet(['cert', 'remove', 'deadbeefdeadbeef', '--json'], { env });
    assert.equal((JSON.parse(missing.stdout) as { error: { code: string } }).error.code, 'ERR_CERT_NOT_FOUND');
    const list = JSON.parse((await runCachet(['cert', 'list', '--json'], { env })).stdout) as { credentials: unknown[] };
    assert.deepEqual(list.credentials, []);
  });

  test('cert list without a vault is an empty list, not an error', async () => {
    const env = freshHome();
    const r = await runCachet(['cert', 'list'], { env });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /no credentials yet/);
  });
});
