/**
 * Issue 14: a mailed .p12 must not hold the server. The key derivations a PKCS#12 file asks for are
 * added up and bounded before any is done (PKCS12_LIMITS.maxDerivationRoundsPerFile), and the
 * PKCS#12 KDF runs off the event loop, so a timer fires while a legitimate file is read.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { readPfx } from '../../src/engine/pkcs12/pfx-read.js';
import { PKCS12_LIMITS } from '../../src/engine/pkcs12/password-based.js';
import { withIteratedHash } from '../../src/engine/pkcs12/iterated-hash.js';
import { isCachetError } from '../../src/errors.js';
import { pkiFile } from '../helpers/pki.js';

let dir = '';

/** An `openssl pkcs12 -export` file of erin's key and certificate, with the options given. */
function opensslExport(name: string, ...options: string[]): Buffer {
  const out = join(dir, name);
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', pkiFile('erin.key'), '-in', pkiFile('erin.pem'), '-passout', 'pass:secret', '-out', out, ...options], { stdio: 'pipe' });
  return readFileSync(out);
}

const overTheBound = (e: unknown) => isCachetError(e, 'ERR_LIMIT_EXCEEDED') && e.details.limit === 'maxDerivationRoundsPerFile';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-p12-work-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('PKCS#12 key-derivation work', () => {
  test('one file over the bound is refused with its code before any derivation, whatever the password', async () => {
    // 2,000,000 iterations (under the per-count limit): a 3DES key and IV and an RC2 key and IV at
    // two, one, one and one SHA-1 rounds each cost 10,000,000 rounds, twice the bound.
    const costly = opensslExport('costly.p12', '-legacy', '-iter', '2000000', '-nomac');
    for (const password of ['secret', 'wrong']) {
      await assert.rejects(readPfx(costly, password), overTheBound, password);
    }
  });

  test('a MAC-less file of 255 key bags is refused by their sum, though each alone is cheap', async () => {
    const one = opensslExport('one-key.p12', '-legacy', '-iter', '20000', '-nomac', '-certpbe', 'NONE');
    const pfx = asn1js.fromBER(new Uint8Array(one)).result as asn1js.Sequence;
    const authSafeOctets = ((pfx.valueBlock.value[1] as asn1js.Sequence).valueBlock.value[1] as asn1js.Constructed).valueBlock.value[0] as asn1js.OctetString;
    const authSafe = asn1js.fromBER(authSafeOctets.valueBlock.valueHexView).result as asn1js.Sequence;
    // The ContentInfo of type data that holds the shrouded key bag.
    const keySafe = authSafe.valueBlock.value.find((ci) => {
      const octets = ((ci as asn1js.Sequence).valueBlock.value[1] as asn1js.Constructed).valueBlock.value[0] as asn1js.OctetString;
      return Buffer.from(octets.valueBlock.valueHexView).includes(Buffer.from('2a864886f70d010c0a0102', 'hex'));
    }) as asn1js.Sequence;
    const keyOctets = (keySafe.valueBlock.value[1] as asn1js.Constructed).valueBlock.value[0] as asn1js.OctetString;
    const bags = asn1js.fromBER(keyOctets.valueBlock.valueHexView).result as asn1js.Sequence;
    const bag = bags.valueBlock.value[0]!;
    bags.valueBlock.value = Array.from({ length: 255 }, () => bag);
    keyOctets.valueBlock.valueHexView = new Uint8Array(bags.toBER());
    authSafeOctets.valueBlock.valueHexView = new Uint8Array(authSafe.toBER());
    const hostile = new Uint8Array(pfx.toBER());
    // 255 × (20,000 × 2 + 20,000) = 15,300,000 rounds; the one-bag file reads.
    assert.equal((await readPfx(one, 'secret')).credentials.length, 1);
    await assert.rejects(readPfx(hostile, 'wrong'), overTheBound);
  });

  test('the bound leaves room for what real tools write: NSS-like 600,000 iterations with a MAC', async () => {
    const file = opensslExport('nss-like.p12', '-iter', '600000');
    assert.ok(PKCS12_LIMITS.maxDerivationRoundsPerFile >= 3 * 600_000);
    assert.equal((await readPfx(file, 'secret')).credentials.length, 1);
  });

  test('the event loop stays responsive during a legitimate derivation: a timer fires before it ends', async () => {
    // A legacy file at 100,000 iterations: the PKCS#12 KDF for its MAC, key and IVs, ~0.7 s of SHA-1.
    const file = opensslExport('slow-legacy.p12', '-legacy', '-iter', '100000');
    let fired = false;
    const timer = setTimeout(() => (fired = true), 1);
    const contents = await readPfx(file, 'secret');
    // Had the rounds run on this thread, the timer could only fire after readPfx's continuation.
    assert.equal(fired, true, 'the timer fired while the file was read');
    clearTimeout(timer);
    assert.equal(contents.credentials.length, 1);
  });

  test('inline and in its worker, the iterated hash is H^c; a derivation of many blocks starts one worker, not one per block', async () => {
    const reference = (hash: string, input: Buffer, rounds: number) => {
      let a = createHash(hash).update(input).digest();
      for (let r = 1; r < rounds; r++) a = createHash(hash).update(a).digest();
      return a;
    };
    // Worker thread ids count up by one per worker this process starts: those around the
    // derivation tell how many it started.
    const threadId = async () => {
      const worker = new Worker('', { eval: true });
      const id = worker.threadId;
      await worker.terminate();
      return id;
    };
    const inputs = ['block 1', 'block 2', 'block 3'].map((text) => Buffer.from(`D || I, as the KDF hashes it: ${text}`));
    for (const hash of ['sha1', 'sha256']) {
      for (const rounds of [2048, 25_000]) {
        const before = await threadId();
        const blocks = await withIteratedHash(hash, rounds, inputs.length, async (hashRounds) => {
          const out: Buffer[] = [];
          for (const input of inputs) out.push(await hashRounds(input));
          return out;
        });
        const workers = (await threadId()) - before - 1;
        assert.deepEqual(blocks, inputs.map((input) => reference(hash, input, rounds)), `${hash}, ${rounds} rounds`);
        assert.equal(workers, rounds * inputs.length > 10_000 ? 1 : 0, `${hash}, ${rounds} rounds: workers started`);
      }
    }
  });
});
