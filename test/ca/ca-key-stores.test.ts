/**
 * Where `cachet ca init` keeps the CA keys when they are not on a token: the CA's own vault
 * ($CACHET_HOME/ca/ca.vault, the default) or encrypted PKCS#8 key files (the first format, which
 * existing CAs keep using). Certificates issued by either verify in OpenSSL; a wrong passphrase is a
 * clear error that changes no file; no CA private key lies in clear anywhere under $CACHET_HOME.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CA_PASSPHRASE, cachet, caWorkspace, openssl, PFX_PASSWORD, type CaWorkspace } from './support.js';
import { clearKeysUnder, vaultPrivateKeys } from './key-scan.js';

let vaultWs: CaWorkspace;
let fileWs: CaWorkspace;

function caDir(ws: CaWorkspace): string {
  return join(ws.env.CACHET_HOME!, 'ca');
}

/** Every file of the CA directory and its SHA-256 (the vault's failure counter aside: see the test). */
function snapshot(ws: CaWorkspace): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(caDir(ws)).sort()) {
    if (name.endsWith('.failures')) continue;
    out[name] = createHash('sha256').update(readFileSync(join(caDir(ws), name))).digest('hex');
  }
  return out;
}

async function issueFromCsr(ws: CaWorkspace, name: string, passphraseFile = ws.passphraseFile): Promise<{ status: number; stdout: string; stderr: string }> {
  const csr = ws.path(`${name}.csr`);
  const r = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', ws.path(`${name}.key`), '-out', csr, '-subj', `/CN=${name}`, '-addext', `subjectAltName=email:${name}@example.com`]);
  assert.equal(r.status, 0, r.stderr);
  return cachet(['ca', 'issue', '--template', 'signing-only', '--csr', csr, '--out', ws.path(`${name}.pem`), '--passphrase-file', passphraseFile, '--json'], ws.env);
}

function opensslVerify(ws: CaWorkspace, cert: string): { status: number | null; stdout: string; stderr: string } {
  return openssl(['verify', '-CAfile', ws.path('root.pem'), '-untrusted', ws.path('chain.pem'), '-purpose', 'smimesign', cert]);
}

before(async () => {
  vaultWs = caWorkspace('cachet-ca-vault-');
  fileWs = caWorkspace('cachet-ca-files-');
  const vaultInit = await cachet(['ca', 'init', '--name', 'Vault CA', '--intermediate', '--key', 'ec-p256', '--passphrase-file', vaultWs.passphraseFile], vaultWs.env);
  assert.equal(vaultInit.status, 0, vaultInit.stderr);
  assert.match(vaultInit.stdout, /in the CA vault/);
  const fileInit = await cachet(['ca', 'init', '--name', 'File CA', '--intermediate', '--key', 'rsa-2048', '--key-store', 'file', '--passphrase-file', fileWs.passphraseFile], fileWs.env);
  assert.equal(fileInit.status, 0, fileInit.stderr);
  for (const ws of [vaultWs, fileWs]) {
    assert.equal((await cachet(['ca', 'cert', '--root', '-o', ws.path('root.pem')], ws.env)).status, 0);
    assert.equal((await cachet(['ca', 'cert', '--chain', '-o', ws.path('chain.pem')], ws.env)).status, 0);
  }
});
after(() => {
  vaultWs?.remove();
  fileWs?.remove();
});

describe('CA keys in the CA vault (the default)', () => {
  test("ca.json records the vault for both keys; the vault is the CA's own, not the user's", () => {
    const settings = JSON.parse(readFileSync(join(caDir(vaultWs), 'ca.json'), 'utf8'));
    assert.deepEqual([settings.keys.root.store, settings.keys.issuing.store], ['vault', 'vault']);
    assert.equal(existsSync(join(vaultWs.env.CACHET_HOME!, 'credentials.vault')), false, "the user's vault is not touched");
    assert.equal(existsSync(join(caDir(vaultWs), 'root.key')), false);
    // Both keys are inside, under the CA passphrase, and they are the keys of the CA certificates.
    const keys = vaultPrivateKeys(join(caDir(vaultWs), 'ca.vault'), CA_PASSPHRASE);
    assert.equal(keys.length, 2);
    const certificateKeys = ['root.pem', 'chain.pem'].map((f) => openssl(['x509', '-in', vaultWs.path(f), '-noout', '-pubkey']).stdout).sort();
    const vaultKeys = keys.map((key) => createPublicKey(createPrivateKey({ key, format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'pem' }) as string).sort();
    assert.deepEqual(vaultKeys, certificateKeys);
  });

  test('it issues certificates (PKCS#10 and PKCS#12) that openssl verifies up to the root', async () => {
    const r = await issueFromCsr(vaultWs, 'alice');
    assert.equal(r.status, 0, r.stderr);
    const v = opensslVerify(vaultWs, vaultWs.path('alice.pem'));
    assert.equal(v.status, 0, v.stdout + v.stderr);
    const pfx = await cachet(['ca', 'issue', '--template', 'signing-only', '--email', 'bob@example.com', '--out', vaultWs.path('bob.p12'), '--password-file', vaultWs.passwordFile, '--passphrase-file', vaultWs.passphraseFile], vaultWs.env);
    assert.equal(pfx.status, 0, pfx.stderr);
    const cert = openssl(['pkcs12', '-in', vaultWs.path('bob.p12'), '-passin', `pass:${PFX_PASSWORD}`, '-clcerts', '-nokeys', '-out', vaultWs.path('bob.pem')]);
    assert.equal(cert.status, 0, cert.stderr);
    const v2 = opensslVerify(vaultWs, vaultWs.path('bob.pem'));
    assert.equal(v2.status, 0, v2.stdout + v2.stderr);
  });

  test('a wrong passphrase: a clear error (exit 4) for issue, revoke and crl, and no file of the CA changes', async () => {
    writeFileSync(vaultWs.path('wrong'), 'not the CA passphrase\n');
    const before = snapshot(vaultWs);
    const serial = JSON.parse(readFileSync(join(caDir(vaultWs), 'index.json'), 'utf8'))[0].serial as string;
    const attempts = [
      await issueFromCsr(vaultWs, 'carol', vaultWs.path('wrong')),
      await cachet(['ca', 'revoke', serial, '--passphrase-file', vaultWs.path('wrong'), '--json'], vaultWs.env),
      await cachet(['ca', 'revoke', '--intermediate', '--passphrase-file', vaultWs.path('wrong'), '--json'], vaultWs.env),
    ];
    for (const r of attempts) {
      assert.equal(r.status, 4, r.stdout + r.stderr);
      const error = JSON.parse(r.stdout).error;
      assert.equal(error.code, 'ERR_VAULT_BAD_PASSPHRASE');
      assert.match(error.message, /the CA passphrase is wrong/);
    }
    const crl = await cachet(['ca', 'crl', '--passphrase-file', vaultWs.path('wrong'), '-o', vaultWs.path('x.crl')], vaultWs.env);
    assert.equal(crl.status, 4);
    assert.match(crl.stderr, /the CA passphrase is wrong/);
    // The vault's failure counter (ca.vault.failures, its guessing brake) is the only file written.
    assert.deepEqual(snapshot(vaultWs), before);
    assert.equal(existsSync(vaultWs.path('carol.pem')), false);
    assert.equal(existsSync(vaultWs.path('x.crl')), false);
    const ok = await issueFromCsr(vaultWs, 'dave');
    assert.equal(ok.status, 0, ok.stderr);
  });

  test('no CA private key lies in clear anywhere under $CACHET_HOME', () => {
    const keys = vaultPrivateKeys(join(caDir(vaultWs), 'ca.vault'), CA_PASSPHRASE);
    assert.deepEqual(clearKeysUnder(vaultWs.env.CACHET_HOME!, keys), []);
    // The scanner itself finds a key written in clear (it can fail).
    writeFileSync(vaultWs.path('planted.der'), keys[0]!);
    assert.equal(clearKeysUnder(vaultWs.dir, keys).filter((f) => f.includes('planted.der')).length > 0, true);
  });
});

describe('CA keys in encrypted key files (--key-store file, and CAs made before the vault)', () => {
  test('the keys are encrypted PKCS#8 (PBES2, AES-256) that only the passphrase opens', () => {
    for (const which of ['root', 'issuing']) {
      const file = join(caDir(fileWs), `${which}.key`);
      assert.match(readFileSync(file, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      const parsed = openssl(['asn1parse', '-in', file]);
      assert.match(parsed.stdout, /PBES2/);
      assert.match(parsed.stdout, /aes-256-cbc/);
      // The PBKDF2 work factor: OpenSSL's (and so Node's) default of 2048 iterations lets a stolen
      // key file be guessed at millions of passphrases a second; OWASP asks 600 000 for HMAC-SHA-256.
      const iterations = /:PBKDF2[\s\S]*?INTEGER\s+:([0-9A-F]+)/.exec(parsed.stdout);
      assert.ok(iterations, parsed.stdout);
      assert.ok(Number.parseInt(iterations[1]!, 16) >= 600_000, `PBKDF2 iterations: ${Number.parseInt(iterations[1]!, 16)}`);
      assert.equal(openssl(['pkey', '-in', file, '-passin', `pass:${CA_PASSPHRASE}`, '-noout']).status, 0);
      assert.notEqual(openssl(['pkey', '-in', file, '-passin', 'pass:wrong', '-noout']).status, 0);
    }
    assert.equal(existsSync(join(caDir(fileWs), 'ca.vault')), false);
  });

  test('a CA made before the key-store choice (ca.json without "keys") still issues, revokes and signs CRLs', async () => {
    const path = join(caDir(fileWs), 'ca.json');
    const settings = JSON.parse(readFileSync(path, 'utf8'));
    delete settings.keys;
    writeFileSync(path, `${JSON.stringify(settings, null, 2)}\n`);
    const r = await issueFromCsr(fileWs, 'erin');
    assert.equal(r.status, 0, r.stderr);
    const v = opensslVerify(fileWs, fileWs.path('erin.pem'));
    assert.equal(v.status, 0, v.stdout + v.stderr);
    const revoke = await cachet(['ca', 'revoke', JSON.parse(r.stdout).serial, '--reason', 'superseded', '--passphrase-file', fileWs.passphraseFile], fileWs.env);
    assert.equal(revoke.status, 0, revoke.stderr);
    const crl = await cachet(['ca', 'crl', '--pem', '-o', fileWs.path('ca.crl'), '--passphrase-file', fileWs.passphraseFile], fileWs.env);
    assert.equal(crl.status, 0, crl.stderr);
    const checked = openssl(['verify', '-crl_check', '-CAfile', fileWs.path('root.pem'), '-untrusted', fileWs.path('chain.pem'), '-CRLfile', fileWs.path('ca.crl'), fileWs.path('erin.pem')]);
    assert.match(checked.stdout + checked.stderr, /certificate revoked/);
    writeFileSync(fileWs.path('wrong'), 'wrong passphrase');
    const wrong = await issueFromCsr(fileWs, 'frank', fileWs.path('wrong'));
    assert.equal(wrong.status, 4);
    assert.equal(JSON.parse(wrong.stdout).error.code, 'ERR_VAULT_BAD_PASSPHRASE');
  });

  test('no private key in clear under $CACHET_HOME', () => {
    const keys = ['root', 'issuing'].map((which) => createPrivateKey({ key: readFileSync(join(caDir(fileWs), `${which}.key`), 'utf8'), passphrase: CA_PASSPHRASE }).export({ type: 'pkcs8', format: 'der' }));
    assert.deepEqual(clearKeysUnder(fileWs.env.CACHET_HOME!, keys), []);
  });

  test('usage: an unknown --key-store, or token options without a token store', async () => {
    const bad = await cachet(['ca', 'init', '--key-store', 'cloud', '--passphrase-file', fileWs.passphraseFile, '--json'], { CACHET_HOME: fileWs.path('other') });
    assert.equal(bad.status, 2);
    assert.match(JSON.parse(bad.stdout).error.message, /--key-store must be vault, file or token/);
    const mixed = await cachet(['ca', 'init', '--key-store', 'vault', '--pin-file', fileWs.passphraseFile, '--passphrase-file', fileWs.passphraseFile, '--json'], { CACHET_HOME: fileWs.path('other') });
    assert.equal(mixed.status, 2);
    const noLabel = await cachet(['ca', 'init', '--key-store', 'token', '--json'], { CACHET_HOME: fileWs.path('other') });
    assert.match(JSON.parse(noLabel.stdout).error.message, /--token-label/);
    assert.equal(existsSync(fileWs.path('other/ca/ca.json')), false);
  });
});
