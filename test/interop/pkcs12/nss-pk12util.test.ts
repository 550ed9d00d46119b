/**
 * PKCS#12 as other software writes it (issue 18): NSS `pk12util -o` (what a Firefox or Thunderbird
 * "Backup" writes: BER with indefinite lengths and segmented OCTET STRINGs at every level, PBES2 and
 * a SHA-256 MAC at 600,000 iterations), made at test time and read by the library and by
 * `cachet cert import`; what gpgsm `--export-secret-key-p12` writes; and PKCS#12 armoured in base64
 * (PEM `PKCS12` blocks, bare base64).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPfx } from '../../../src/engine/pkcs12/pfx-read.js';
import { isCachetError } from '../../../src/errors.js';
import { runCachet } from '../../helpers/cli.js';
import { makeGnupgHome, makeNssDatabase, runToolOk, stopGnupg } from '../../helpers/oracles.js';
import { certificateDer, P12_PASSWORD } from '../../helpers/pki.js';

let dir = '';
let nssFile = '';
let gnupg: NodeJS.ProcessEnv | undefined;

function keyMatches(pkcs8: Uint8Array, certificate: Uint8Array): boolean {
  const fromKey = createPublicKey(createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
  return fromKey.equals(new X509Certificate(Buffer.from(certificate)).publicKey.export({ format: 'der', type: 'spki' }));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-nss-p12-'));
  const db = makeNssDatabase(join(dir, 'nss'), ['frank-sign']);
  nssFile = join(dir, 'frank-backup.p12');
  runToolOk('pk12util', ['-o', nssFile, '-n', 'frank-sign', '-d', db, '-W', 'backup pässword', '-K', '']);
});
after(() => {
  stopGnupg(gnupg);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('PKCS#12 written by NSS pk12util', () => {
  test('is BER throughout, and the library reads its key, certificate and chain; the MAC checks over the octets as they are', async () => {
    const bytes = readFileSync(nssFile);
    // Indefinite lengths at the top and inside the authenticated safe: a DER-only reader refuses it.
    assert.equal(bytes[1], 0x80, 'the PFX has an indefinite length');
    assert.ok(bytes.includes(Buffer.from('3080308006092a864886f70d010701', 'hex')), 'the SafeContents inside the OCTET STRING are BER too');
    // The MAC covers these BER octets; re-encoded as DER they would not match, and the password would read wrong.
    const contents = await readPfx(bytes, 'backup pässword');
    assert.equal(contents.credentials.length, 1);
    const credential = contents.credentials[0]!;
    assert.deepEqual(Buffer.from(credential.certificate), certificateDer('frank-sign'));
    assert.ok(keyMatches(credential.privateKeyPkcs8, credential.certificate));
    await assert.rejects(readPfx(bytes, 'wrong'), (e) => isCachetError(e, 'ERR_PKCS12_BAD_PASSWORD'));
  });

  test('one changed byte of the authenticated safe fails the MAC: it reads as a wrong password, never as content', async () => {
    const bytes = Buffer.from(readFileSync(nssFile));
    bytes[bytes.length - 200] = bytes[bytes.length - 200]! ^ 0x01; // inside the encrypted certificate safe, covered by the MAC
    await assert.rejects(readPfx(bytes, 'backup pässword'), (e) => isCachetError(e, 'ERR_PKCS12_BAD_PASSWORD'));
  });

  test('cachet cert import takes the NSS backup, and the vault holds that certificate', async () => {
    const home = join(dir, 'home');
    const env = { CACHET_HOME: home, CACHET_VAULT_PASSPHRASE: 'correct horse', CACHET_PASSWORD: 'backup pässword' };
    const imported = await runCachet(['cert', 'import', nssFile, '--json'], { env });
    assert.equal(imported.status, 0, imported.stderr);
    const list = JSON.parse((await runCachet(['cert', 'list', '--json'], { env })).stdout) as { credentials: Array<{ id: string; role: string }> };
    assert.deepEqual(list.credentials.map((c) => [c.id, c.role]), [[createHash('sha256').update(certificateDer('frank-sign')).digest('hex'), 'signing']]);
  });
});

describe('PKCS#12 written by gpgsm --export-secret-key-p12', () => {
  test("bob's key, exported by gpgsm, reads with its certificate", async () => {
    gnupg = makeGnupgHome(join(dir, 'gnupg'), ['bob']);
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(runToolOk('gpgsm', ['--with-colons', '--list-secret-keys'], { env: gnupg }).toString())![1]!;
    // gpgsm asks for the key's passphrase and protects the export with it.
    const exported = runToolOk('gpgsm', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--export-secret-key-p12', fingerprint], { env: gnupg, input: `${P12_PASSWORD}\n` });
    const contents = await readPfx(exported, P12_PASSWORD);
    assert.equal(contents.credentials.length, 1);
    assert.deepEqual(Buffer.from(contents.credentials[0]!.certificate), certificateDer('bob'));
    assert.ok(keyMatches(contents.credentials[0]!.privateKeyPkcs8, contents.credentials[0]!.certificate));
  });
});

describe('PKCS#12 armoured in base64', () => {
  test('a PEM PKCS12 block and bare base64 read like the binary file, in the library and in cert inspect', async () => {
    const base64 = readFileSync(nssFile).toString('base64');
    const pem = `-----BEGIN PKCS12-----\n${base64.replace(/(.{64})/g, '$1\n')}\n-----END PKCS12-----\n`;
    const bare = `${base64.replace(/(.{76})/g, '$1\r\n')}\r\n`;
    const contents = await readPfx(Buffer.from(bare), 'backup pässword');
    assert.deepEqual(Buffer.from(contents.credentials[0]!.certificate), certificateDer('frank-sign'));
    // Each read costs a second of key derivation (NSS's 600,000 iterations): the CLI reads the other forms.
    for (const [name, text] of [['frank.pem', pem], ['frank.b64', bare]] as const) {
      const path = join(dir, name);
      writeFileSync(path, text);
      const inspected = await runCachet(['cert', 'inspect', path, '--json'], { env: { CACHET_PASSWORD: 'backup pässword' } });
      assert.equal(inspected.status, 0, `${name}: ${inspected.stderr}`);
      assert.equal((JSON.parse(inspected.stdout) as { format: string }).format, 'pkcs12', name);
    }
    await assert.rejects(readPfx(Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), 'x'), (e) => isCachetError(e, 'ERR_PKCS12_MALFORMED'));
  });
});
