// The README's library example, run as written (imports through the public index).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { signMessage, encryptMessage, openMessage, softwareKey, createCertificateValidator, collectBytes, toByteStream } from '../../src/engine/index.js';
import { pkiBytes } from '../helpers/pki.js';

test('the README example: sign, encrypt, open → valid and encrypted', async () => {
  const alice = { certificate: pkiBytes('alice.der'), key: softwareKey(createPrivateKey(pkiBytes('alice.key'))) };
  const bobCertificate = pkiBytes('bob.der');
  const message = 'From: alice@example.com\r\nTo: bob@example.com\r\nSubject: hi\r\nContent-Type: text/plain\r\n\r\nHello\r\n';
  const signed = signMessage(toByteStream(message), { signers: [alice], mode: 'detached' });
  const sealed = await collectBytes(encryptMessage(signed, { recipients: [{ certificate: bobCertificate }], cipher: 'aes-256-gcm' }));
  const bob = { certificate: bobCertificate, key: softwareKey(createPrivateKey(pkiBytes('bob.key'))) };
  const opened = await openMessage(toByteStream(sealed), { decryptors: [bob], validator: createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')] }) });
  assert.equal(opened.report.status, 'valid');
  assert.equal(opened.report.encrypted, true);
  await opened.dispose();
});

test("the README's streaming example: file to file with node:stream, the opened body byte for byte", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-readme-stream-'));
  const at = (name: string) => join(dir, name);
  try {
    const alice = { certificate: pkiBytes('alice.der'), key: softwareKey(createPrivateKey(pkiBytes('alice.key'))) };
    const bobCertificate = pkiBytes('bob.der');
    const bob = { certificate: bobCertificate, key: softwareKey(createPrivateKey(pkiBytes('bob.key'))) };
    const body = randomBytes(3 * 1024 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n');
    const original = Buffer.from(`From: alice@example.com\r\nTo: bob@example.com\r\nSubject: big\r\nContent-Type: text/plain\r\n\r\n${body}\r\n`);
    writeFileSync(at('big.eml'), original);
    const signedStream = signMessage(createReadStream(at('big.eml')), { signers: [alice], mode: 'detached' });
    await pipeline(encryptMessage(signedStream, { recipients: [{ certificate: bobCertificate }] }), createWriteStream(at('big.p7m.eml')));
    const big = await openMessage(createReadStream(at('big.p7m.eml')), { decryptors: [bob], validator: createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')] }) });
    assert.equal(big.report.status, 'valid');
    await pipeline(big.content, createWriteStream(at('big.opened.eml')));
    await big.dispose();
    assert.ok(readFileSync(at('big.opened.eml')).includes(Buffer.from(body)), 'the opened content holds the whole body, byte for byte');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
