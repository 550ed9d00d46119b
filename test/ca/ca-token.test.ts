/**
 * A CA whose keys live on a PKCS#11 token (SoftHSM2 in a temporary directory): `cachet ca init
 * --token-label` generates the root and intermediate key pairs ON the token (sensitive, never
 * extractable), writes the CA certificates beside them, and every later command signs there:
 * certificates that `openssl verify` accepts, CRLs `openssl crl` / `verify -crl_check` accept, OCSP
 * responses `openssl ocsp` accepts. A wrong PIN and an absent token are clear, typed errors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm } from '../helpers/softhsm.js';
import { Pkcs11Token } from '../../src/adapters/keys/pkcs11/token.js';
import { cachet, caWorkspace, freePort, openssl, startCachet, type CaWorkspace } from './support.js';
import { clearKeysUnder } from './key-scan.js';

const TOKEN = 'cachet-ca';
let hsm: SoftHsm;
let ws: CaWorkspace;
let rsaWs: CaWorkspace;
let url: string;
let pinFile: string;
const serials: Record<string, string> = {};
const stops: Array<() => Promise<void>> = [];

function caDir(w: CaWorkspace): string {
  return join(w.env.CACHET_HOME!, 'ca');
}

function settingsOf(w: CaWorkspace): { keys: Record<string, { store: string; id: string; tokenLabel: string; module: string }> } {
  return JSON.parse(readFileSync(join(caDir(w), 'ca.json'), 'utf8'));
}

async function issue(w: CaWorkspace, name: string, extra: string[] = []): Promise<{ status: number; stdout: string; stderr: string }> {
  const csr = w.path(`${name}.csr`);
  if (!existsSync(csr)) {
    const r = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', w.path(`${name}.key`), '-out', csr, '-subj', `/CN=${name}`, '-addext', `subjectAltName=email:${name}@example.com`]);
    assert.equal(r.status, 0, r.stderr);
  }
  return cachet(['ca', 'issue', '--template', 'signing-only', '--csr', csr, '--out', w.path(`${name}.pem`), '--json', ...extra], w.env);
}

before(async () => {
  hsm = createSoftHsm([], TOKEN);
  ws = caWorkspace('cachet-ca-token-');
  rsaWs = caWorkspace('cachet-ca-token-rsa-');
  pinFile = ws.path('pin');
  writeFileSync(pinFile, `${hsm.pin}\n`);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const init = await cachet(['ca', 'init', '--name', 'Token CA', '--intermediate', '--key', 'ec-p256', '--http-base', url, '--token-label', TOKEN, '--pkcs11-module', hsm.module, '--pin-file', pinFile], ws.env);
  assert.equal(init.status, 0, init.stderr);
  assert.match(init.stdout, /on the token "cachet-ca"/);
  // A second CA, RSA and root only, on the same token; its PIN from the environment.
  const rsaInit = await cachet(['ca', 'init', '--name', 'Token RSA CA', '--key', 'rsa-2048', '--token-label', TOKEN], { ...rsaWs.env, CACHET_TOKEN_PIN: hsm.pin });
  assert.equal(rsaInit.status, 0, rsaInit.stderr);
  for (const w of [ws, rsaWs]) {
    assert.equal((await cachet(['ca', 'cert', '--root', '-o', w.path('root.pem')], w.env)).status, 0, 'ca cert needs no PIN');
    assert.equal((await cachet(['ca', 'cert', '--chain', '-o', w.path('chain.pem')], w.env)).status, 0);
  }
  assert.equal((await cachet(['ca', 'cert', '-o', ws.path('issuing.pem')], ws.env)).status, 0);
});
after(async () => {
  for (const stop of stops) await stop().catch(() => undefined);
  ws?.remove();
  rsaWs?.remove();
  hsm?.remove();
});

describe('a CA on a PKCS#11 token', () => {
  test('ca.json records the token for both keys; no key file and no vault in the CA directory', () => {
    const { keys } = settingsOf(ws);
    for (const which of ['root', 'issuing']) {
      assert.equal(keys[which]!.store, 'pkcs11');
      assert.equal(keys[which]!.tokenLabel, TOKEN);
      assert.match(keys[which]!.id, /^[0-9a-f]{16}$/);
    }
    assert.deepEqual(readdirSync(caDir(ws)).filter((n) => /\.key$|\.vault/.test(n)), []);
    assert.deepEqual(clearKeysUnder(ws.env.CACHET_HOME!, []), []);
  });

  test('the key pairs were generated on the token: sensitive, never extractable; the CA certificates are stored beside them', () => {
    const token = Pkcs11Token.open({ module: hsm.module, tokenLabel: TOKEN, pin: hsm.pin });
    try {
      for (const [w, which, file] of [[ws, 'root', 'root.pem'], [ws, 'issuing', 'issuing.pem'], [rsaWs, 'root', 'root.pem']] as const) {
        const { id } = settingsOf(w).keys[which]!;
        assert.deepEqual(token.privateKeyAttributes(id), { sensitive: true, extractable: false, alwaysSensitive: true, neverExtractable: true, local: true });
        const onToken = token.certificateById(id);
        assert.ok(onToken, `${which} certificate on the token`);
        const pem = readFileSync(w.path(file), 'utf8');
        assert.deepEqual(onToken, Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64'));
      }
    } finally {
      token.close();
    }
    // And as pkcs11-tool (OpenSC) sees them.
    const listed = execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', TOKEN, '--login', '--pin', hsm.pin, '--list-objects', '--type', 'privkey'], { encoding: 'utf8' });
    assert.equal(listed.match(/never extractable/g)?.length, 3, listed);
    assert.match(listed, /Token CA Root \(CA key\)/);
  });

  test('it issues certificates openssl verifies (EC chain with intermediate; RSA root)', async () => {
    const r = await issue(ws, 'alice', ['--pin-file', pinFile]);
    assert.equal(r.status, 0, r.stderr);
    serials.alice = JSON.parse(r.stdout).serial;
    const v = openssl(['verify', '-CAfile', ws.path('root.pem'), '-untrusted', ws.path('chain.pem'), '-purpose', 'smimesign', ws.path('alice.pem')]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    const b = await issue(ws, 'bob', ['--pin-file', pinFile]);
    assert.equal(b.status, 0, b.stderr);
    const rsa = await issue(rsaWs, 'carol', []);
    assert.equal(rsa.status, 4, 'no PIN: the prompt is not possible, so ERR_PASSWORD_REQUIRED');
    assert.equal(JSON.parse(rsa.stdout).error.code, 'ERR_PASSWORD_REQUIRED');
    const rsaOk = await cachet(['ca', 'issue', '--template', 'signing-only', '--csr', rsaWs.path('carol.csr'), '--out', rsaWs.path('carol.pem')], { ...rsaWs.env, CACHET_TOKEN_PIN: hsm.pin });
    assert.equal(rsaOk.status, 0, rsaOk.stderr);
    const v2 = openssl(['verify', '-CAfile', rsaWs.path('root.pem'), '-purpose', 'smimesign', rsaWs.path('carol.pem')]);
    assert.equal(v2.status, 0, v2.stdout + v2.stderr);
    assert.match(openssl(['x509', '-in', rsaWs.path('carol.pem'), '-noout', '-text']).stdout, /sha256WithRSAEncryption/);
  });

  test('OCSP responses signed on the token are accepted by `openssl ocsp`: good, then revoked; the intermediate answered by the root', async () => {
    const responder = await startCachet(['ca', 'ocsp', '--port', new URL(url).port], { ...ws.env, CACHET_TOKEN_PIN: hsm.pin }, /listening on/);
    stops.push(responder.stop);
    const ask = (cert: string, issuer: string) => openssl(['ocsp', '-issuer', ws.path(issuer), '-cert', ws.path(cert), '-url', url, '-CAfile', ws.path('root.pem'), '-verify_other', ws.path('issuing.pem')]);
    let r = ask('alice.pem', 'issuing.pem');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /alice\.pem: good/);
    assert.match(r.stderr + r.stdout, /Response verify OK/);
    const revoke = await cachet(['ca', 'revoke', serials.alice!, '--reason', 'keyCompromise', '--pin-file', pinFile], ws.env);
    assert.equal(revoke.status, 0, revoke.stderr);
    r = ask('alice.pem', 'issuing.pem');
    assert.match(r.stdout, /alice\.pem: revoked/);
    assert.match(r.stderr + r.stdout, /Response verify OK/);
    const intermediate = ask('issuing.pem', 'root.pem');
    assert.equal(intermediate.status, 0, intermediate.stderr);
    assert.match(intermediate.stdout, /issuing\.pem: good/);
    assert.match(intermediate.stderr + intermediate.stdout, /Response verify OK/);
  });

  test('CRLs signed on the token: openssl checks their signature, and `verify -crl_check_all` finds the revoked leaf', async () => {
    const crl = await cachet(['ca', 'crl', '--pem', '-o', ws.path('issuing.crl'), '--pin-file', pinFile], ws.env);
    assert.equal(crl.status, 0, crl.stderr);
    const root = await cachet(['ca', 'crl', '--root', '--pem', '-o', ws.path('root.crl'), '--pin-file', pinFile], ws.env);
    assert.equal(root.status, 0, root.stderr);
    assert.equal(openssl(['crl', '-in', ws.path('issuing.crl'), '-CAfile', ws.path('chain.pem'), '-noout']).status, 0);
    assert.equal(openssl(['crl', '-in', ws.path('root.crl'), '-CAfile', ws.path('root.pem'), '-noout']).status, 0);
    const verify = (cert: string) => openssl(['verify', '-crl_check_all', '-CAfile', ws.path('root.pem'), '-untrusted', ws.path('issuing.pem'), '-CRLfile', ws.path('root.crl'), '-CRLfile', ws.path('issuing.crl'), ws.path(cert)]);
    const bob = verify('bob.pem');
    assert.equal(bob.status, 0, bob.stdout + bob.stderr);
    const alice = verify('alice.pem');
    assert.notEqual(alice.status, 0);
    assert.match(alice.stdout + alice.stderr, /certificate revoked/);
  });

  test('a wrong PIN is ERR_TOKEN_PIN_INCORRECT (exit 4); nothing is issued', async () => {
    writeFileSync(ws.path('wrong-pin'), '0000\n');
    const before = readFileSync(join(caDir(ws), 'index.json'), 'utf8');
    const r = await issue(ws, 'dave', ['--pin-file', ws.path('wrong-pin')]);
    assert.equal(r.status, 4, r.stdout + r.stderr);
    const error = JSON.parse(r.stdout).error;
    assert.equal(error.code, 'ERR_TOKEN_PIN_INCORRECT');
    assert.match(error.message, /PIN of the CA's token "cachet-ca" is wrong/);
    assert.equal(readFileSync(join(caDir(ws), 'index.json'), 'utf8'), before);
    assert.equal(existsSync(ws.path('dave.pem')), false);
  });

  test('an absent token is ERR_TOKEN_ABSENT, at init (nothing created) and for a CA whose token is gone', async () => {
    const other = caWorkspace('cachet-ca-token-absent-');
    try {
      const init = await cachet(['ca', 'init', '--token-label', 'no-such-token', '--pin-file', pinFile, '--json'], other.env);
      assert.equal(init.status, 1);
      assert.equal(JSON.parse(init.stdout).error.code, 'ERR_TOKEN_ABSENT');
      assert.match(JSON.parse(init.stdout).error.message, /token "no-such-token" is not present/);
      assert.equal(existsSync(join(caDir(other), 'ca.json')), false);
      const wrong = await cachet(['ca', 'init', '--token-label', TOKEN, '--pin-file', ws.path('wrong-pin'), '--json'], other.env);
      assert.equal(wrong.status, 4);
      assert.equal(JSON.parse(wrong.stdout).error.code, 'ERR_TOKEN_PIN_INCORRECT');
      assert.equal(existsSync(join(caDir(other), 'ca.json')), false);
    } finally {
      other.remove();
    }
    // The CA's token replaced by another label: the CA says which token it needs.
    const path = join(caDir(rsaWs), 'ca.json');
    const settings = JSON.parse(readFileSync(path, 'utf8'));
    settings.keys.root.tokenLabel = 'gone';
    writeFileSync(path, JSON.stringify(settings));
    const r = await cachet(['ca', 'crl', '-o', rsaWs.path('x.crl')], { ...rsaWs.env, CACHET_TOKEN_PIN: hsm.pin });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the CA's token "gone" is not present/);
  });
});
