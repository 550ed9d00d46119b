import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { X509Certificate, X509Crl } from '@peculiar/x509';
import { CaStore, type CaKeyPair } from './ca-store.js';
import { publishCrl, publishRootCrl } from './crl.js';
import { answerOcspRequest, startOcspResponder, type RunningResponder } from './ocsp-responder.js';
import { setUpCa } from './setup.js';

let dir: string;
let store: CaStore;
let issuer: CaKeyPair;
let running: RunningResponder | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-ocsp-unit-'));
  store = new CaStore(join(dir, 'ca'));
  await setUpCa(store, { name: 'Unit CA', intermediate: false, keyType: 'ec-p256', httpBase: 'http://127.0.0.1:1', passphrase: 'unit-test-passphrase' });
  issuer = await store.issuer('unit-test-passphrase');
});
after(async () => {
  await running?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OCSP responder', () => {
  test('garbage in: malformedRequest out (RFC 6960 §2.3), never an exception', async () => {
    const answer = await answerOcspRequest(store, { certificate: issuer.certificate, key: issuer.key, delegated: false }, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...answer], [0x30, 0x03, 0x0a, 0x01, 0x01]);
  });

  test('/crl: a CRL about to expire is renewed before it is served', async () => {
    const stale = await publishCrl(store, issuer, new Date(Date.now() - 6.5 * 86_400_000));
    const staleNumber = new X509Crl(Buffer.from(stale)).getExtension('2.5.29.20');
    assert.ok(staleNumber);
    running = await startOcspResponder(store, { certificate: issuer.certificate, key: issuer.key, delegated: false }, { port: 0, refreshCrl: () => publishCrl(store, issuer) });
    const response = await fetch(`${running.url}/crl`);
    assert.equal(response.status, 200);
    const served = new X509Crl(Buffer.from(await response.arrayBuffer()));
    assert.ok(Date.now() - served.thisUpdate.getTime() < 60_000, 'a fresh CRL');
    assert.ok(served.nextUpdate && served.nextUpdate.getTime() - Date.now() > 6 * 86_400_000);
    const again = new X509Crl(Buffer.from(await (await fetch(`${running.url}/crl`)).arrayBuffer()));
    assert.equal(again.thisUpdate.getTime(), served.thisUpdate.getTime(), 'a current CRL is served as stored, not re-signed each time');
  });

  test('an oversized request body is refused with 413', async () => {
    const response = await fetch(`${running!.url}/`, { method: 'POST', body: new Uint8Array(64 * 1024) });
    assert.equal(response.status, 413);
  });
});

describe('OCSP responder of a CA with an intermediate', () => {
  test("/root.crl: the root's CRL about to expire is renewed with the root key before it is served", async () => {
    const withIntermediate = new CaStore(join(dir, 'ca-intermediate'));
    await setUpCa(withIntermediate, { name: 'Two-level CA', intermediate: true, keyType: 'ec-p256', httpBase: 'http://127.0.0.1:1', passphrase: 'unit-test-passphrase' });
    const issuing = await withIntermediate.issuer('unit-test-passphrase');
    const root = await withIntermediate.loadKeyPair('root', 'unit-test-passphrase');
    await publishRootCrl(withIntermediate, root, new Date(Date.now() - 6.5 * 86_400_000));
    const responder = await startOcspResponder(withIntermediate, { certificate: issuing.certificate, key: issuing.key, delegated: false }, {
      port: 0,
      root: { certificate: root.certificate, key: root.key, delegated: false },
      refreshRootCrl: () => publishRootCrl(withIntermediate, root),
    });
    try {
      const served = new X509Crl(Buffer.from(await (await fetch(`${responder.url}/root.crl`)).arrayBuffer()));
      assert.ok(Date.now() - served.thisUpdate.getTime() < 60_000, 'a fresh root CRL');
      assert.ok(await served.verify({ publicKey: new X509Certificate(Buffer.from(root.certificate)).publicKey }), 'signed by the root');
    } finally {
      await responder.close();
    }
  });
});
