import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCachetError } from '../../errors.js';
import { CaStore, normaliseSerial, randomSerial } from './ca-store.js';
import { issueCertificate } from './issue.js';
import { generateKeyPairOf } from './key-pair.js';
import { setUpCa } from './setup.js';
import { getTemplate } from './templates.js';

let dir: string;
let store: CaStore;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-ca-store-'));
  store = new CaStore(join(dir, 'ca'));
  await setUpCa(store, { name: 'Store CA', intermediate: false, keyType: 'ec-p256', httpBase: 'http://127.0.0.1:1', passphrase: 'store-test-passphrase' });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('CA store', () => {
  test('certificates issued concurrently all reach the index, each with its own sequence number', async () => {
    const issuer = await store.issuer('store-test-passphrase');
    const key = await generateKeyPairOf('ec-p256');
    await Promise.all(Array.from({ length: 8 }, (_, i) => issueCertificate(store, issuer, { template: getTemplate('signing-only'), spki: key.spki, email: `u${i}@example.com` })));
    const index = await store.index();
    assert.equal(index.length, 8);
    assert.deepEqual(index.map((e) => e.sequence).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(new Set(index.map((e) => e.serial)).size, 8);
  });

  test('a wrong passphrase is ERR_VAULT_BAD_PASSPHRASE; a missing CA is ERR_CA_NOT_INITIALISED', async () => {
    await assert.rejects(store.issuer('wrong passphrase'), (e) => isCachetError(e, 'ERR_VAULT_BAD_PASSPHRASE'));
    await assert.rejects(new CaStore(join(dir, 'none')).issuer('x'), (e) => isCachetError(e, 'ERR_CA_NOT_INITIALISED'));
    await assert.rejects(setUpCa(store, { name: 'again', intermediate: false, keyType: 'ec-p256', httpBase: 'http://127.0.0.1:1', passphrase: 'store-test-passphrase' }), (e) => isCachetError(e, 'ERR_CA_EXISTS'));
  });

  test('serials: 128 random bits, positive, no leading zero octet; user spellings normalised', () => {
    for (let i = 0; i < 100; i++) {
      const serial = randomSerial();
      assert.equal(serial.length, 32);
      assert.ok(parseInt(serial.slice(0, 2), 16) >= 0x40 && parseInt(serial.slice(0, 2), 16) < 0x80);
    }
    assert.equal(normaliseSerial('00:AB:cd'), 'abcd');
    assert.equal(normaliseSerial('0x0001'), '01');
    assert.throws(() => normaliseSerial('xyz'), (e) => isCachetError(e, 'ERR_USAGE'));
  });
});
