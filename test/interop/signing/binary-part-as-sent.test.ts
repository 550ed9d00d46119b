/**
 * A multipart/signed whose first part is binary, signed over its raw bytes (AS2, RFC 4130, and some
 * gateways do this instead of RFC 8551's canonical CRLF form): OpenSSL signs the exact part bytes at
 * test time, with bare LFs, CRLFs and bare CRs mixed, in a body framed with bare LFs (read as
 * LF-stored mail, whose canonical form turns every LF into CRLF). When the canonical form does not verify, the
 * bytes as sent are checked, the report says which form verified, and the content released (and
 * written by `cachet verify -o`) is exactly those bytes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMessage } from '../../../src/engine/smime/open.js';
import { createCertificateValidator } from '../../../src/engine/pki/create-validator.js';
import { collectBytes, toByteStream } from '../../../src/engine/stream-types.js';
import { MULTIPART_SIGNED_LIMITS } from '../../../src/engine/mime/multipart-signed.js';
import { readMimeEntity } from '../../../src/engine/mime/entity-reader.js';
import { verifySignedEntity } from '../../../src/engine/smime/verify.js';
import { runCachet } from '../../helpers/cli.js';
import { runToolOk } from '../../helpers/oracles.js';
import { pkiBytes, pkiFile } from '../../helpers/pki.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-as2-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The first part as an AS2 gateway on Unix sends it: LF header, raw binary body with every kind of line end. */
const PART = Buffer.concat([
  Buffer.from('Content-Type: application/octet-stream\nContent-Transfer-Encoding: binary\nContent-Disposition: attachment; filename="invoice.edi"\n\n'),
  Buffer.from('UNA:+.? \nUNB+UNOC:3+SENDER+RECEIVER\r\nUNH+1+INVOIC\rBGM+380\n'),
  Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x0a, 0x0d, 0x80]),
]);

/** multipart/signed around PART, with OpenSSL's detached signature over PART's bytes exactly. */
function as2Message(part: Buffer): Buffer {
  writeFileSync(join(dir, 'part.bin'), part);
  const signature = runToolOk('openssl', ['cms', '-sign', '-binary', '-in', join(dir, 'part.bin'), '-signer', pkiFile('alice.pem'), '-inkey', pkiFile('alice.key'), '-md', 'sha256', '-outform', 'DER']);
  // OpenSSL agrees that the signature covers the raw bytes.
  writeFileSync(join(dir, 'sig.der'), signature);
  runToolOk('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'sig.der'), '-content', join(dir, 'part.bin'), '-CAfile', pkiFile('ca.pem'), '-out', '/dev/null']);
  // Framed with bare LFs, as a Unix gateway writes the whole body: line ends read as LF-only.
  return Buffer.concat([
    Buffer.from('From: alice@example.com\nTo: bob@example.com\nSubject: AS2 invoice\nMIME-Version: 1.0\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="as2b"\n\n--as2b\n'),
    part,
    Buffer.from('\n--as2b\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Transfer-Encoding: base64\n\n'),
    Buffer.from(`${signature.toString('base64').replace(/(.{76})/g, '$1\n')}\n--as2b--\n`),
  ]);
}

describe('multipart/signed over a binary part as sent', () => {
  test('open: valid over the bytes as sent, the report says so, the content is exactly those bytes', async () => {
    const opened = await openMessage(toByteStream(as2Message(PART)), { decryptors: [], validator: createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')] }) });
    try {
      assert.equal(opened.report.status, 'valid', JSON.stringify(opened.report.signers));
      const layer = opened.report.layers[0]!;
      assert.ok(layer.kind === 'signed');
      assert.equal(layer.verifiedForm, 'as-sent');
      assert.ok(opened.report.warnings.some((w) => /verified over its bytes as sent/.test(w)));
      assert.deepEqual(await collectBytes(opened.content), PART);
    } finally {
      await opened.dispose();
    }
  });

  test('cachet verify -o writes the bytes as sent, and --json names the form', async () => {
    const input = join(dir, 'as2.eml');
    writeFileSync(input, as2Message(PART));
    const out = join(dir, 'out.bin');
    const r = await runCachet(['verify', '-i', input, '-o', out, '--json', '--trust', pkiFile('ca.pem')]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { verifiedForm: string }).verifiedForm, 'as-sent');
    assert.deepEqual(readFileSync(out), PART);
    const text = await runCachet(['verify', '-i', input, '--trust', pkiFile('ca.pem')]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /verified over the signed part's bytes as sent/);
  });

  test('only the verdict wanted (no sink; cachet verify without -o): a part of any size verifies as sent, none of it kept', async () => {
    // Larger than what is copied for a sink that may be handed the bytes: here they are only hashed.
    const big = Buffer.concat([PART, randomBytes(MULTIPART_SIGNED_LIMITS.maxAsSentPartBytes + 1024 * 1024)]);
    const signed = as2Message(big);
    const validator = createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')] });
    const report = await verifySignedEntity(await readMimeEntity(toByteStream(signed)), undefined, { validator });
    assert.equal(report.valid, true, JSON.stringify(report.signers.map((s) => s.error)));
    assert.equal(report.verifiedForm, 'as-sent');
    const input = join(dir, 'as2-big.eml');
    writeFileSync(input, signed);
    const r = await runCachet(['verify', '-i', input, '--json', '--trust', pkiFile('ca.pem')]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { verifiedForm: string }).verifiedForm, 'as-sent');
  });

  test('a part that was changed verifies in neither form', async () => {
    const message = as2Message(PART);
    const at = message.indexOf('INVOIC');
    message[at] = 'X'.charCodeAt(0);
    const opened = await openMessage(toByteStream(message), { decryptors: [] });
    try {
      assert.equal(opened.report.status, 'invalid');
      assert.equal(opened.report.signers[0]!.error?.code, 'ERR_DIGEST_MISMATCH');
    } finally {
      await opened.dispose();
    }
  });

  test('a text part signed in canonical form still reports the canonical form', async () => {
    // In LF framing too: the canonical form of LF text is its CRLF form, which is what was signed.
    const text = Buffer.from('Content-Type: text/plain\r\n\r\nHello\r\n');
    const opened = await openMessage(toByteStream(as2Message(text)), { decryptors: [] });
    try {
      const layer = opened.report.layers[0]!;
      assert.ok(layer.kind === 'signed' && layer.valid);
      assert.equal(layer.verifiedForm, 'canonical');
    } finally {
      await opened.dispose();
    }
  });
});
