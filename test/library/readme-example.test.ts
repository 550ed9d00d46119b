// The README's library example, run as written (imports through the public index).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
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
