/**
 * Issue 14, misleading errors: a SignedData whose SignerInfos are empty (a signature stripped off,
 * or a certs-only object labelled signed-data) was "invalid" with no reason. It is still invalid,
 * with its own code, ERR_NO_SIGNERS, in the library report, `cachet verify` and `cachet open`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { objectIdentifier, octetString, setOf, smallInteger } from '../../src/engine/asn1/ber-writer.js';
import { derTlv } from '../../src/engine/cms/der-walk.js';
import { OID } from '../../src/engine/oids.js';
import { verifyCms } from '../../src/engine/smime/verify.js';
import { toByteStream } from '../../src/engine/stream-types.js';
import { runCachet } from '../helpers/cli.js';
import { openTestMessage } from '../helpers/open-message.js';
import { certificateDer } from '../helpers/pki.js';

/** SignedData over `content` with alice's certificate and no SignerInfo at all. */
function unsigned(content: string): Buffer {
  const signedData = derTlv(
    0x30,
    smallInteger(1),
    setOf(derTlv(0x30, objectIdentifier('2.16.840.1.101.3.4.2.1'))),
    derTlv(0x30, objectIdentifier(OID.id_data), derTlv(0xa0, octetString(Buffer.from(content)))),
    derTlv(0xa0, certificateDer('alice')),
    setOf(),
  );
  return derTlv(0x30, objectIdentifier(OID.id_signedData), derTlv(0xa0, signedData));
}

const CONTENT = 'Content-Type: text/plain\r\n\r\nI am alice, trust me\r\n';

test('the library: the layer is invalid with ERR_NO_SIGNERS', async () => {
  const report = await verifyCms(toByteStream(unsigned(CONTENT)), {}, { write: () => undefined });
  assert.equal(report.valid, false);
  assert.equal(report.signers.length, 0);
  assert.equal(report.error?.code, 'ERR_NO_SIGNERS');
});

test('cachet verify says why, in text and JSON', async () => {
  const r = await runCachet(['verify', '--json'], { stdin: unsigned(CONTENT) });
  assert.equal(r.status, 1);
  assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'ERR_NO_SIGNERS');
  assert.match(r.stderr, /carries no signature \(its SignerInfos are empty\)/);
});

test('cachet open: status invalid, the layer names ERR_NO_SIGNERS and the warnings say why', async () => {
  const message = Buffer.concat([
    Buffer.from('From: alice@example.com\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n'),
    Buffer.from(`${unsigned(CONTENT).toString('base64')}\r\n`),
  ]);
  const { report } = await openTestMessage(message);
  assert.equal(report.status, 'invalid');
  const layer = report.layers.find((l) => l.kind === 'signed');
  assert.ok(layer && layer.kind === 'signed');
  assert.equal(layer.error?.code, 'ERR_NO_SIGNERS');
  assert.ok(report.warnings.some((w) => /carries no signature/.test(w)));
});
