/**
 * Property tests for the MIME and S/MIME readers: on random and mutated input nothing but a typed
 * CachetError escapes, nothing hangs, and a mutated signed message is never reported valid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { parseHeaderBlock } from '../../src/engine/mime/headers.js';
import { readMimeEntity } from '../../src/engine/mime/entity-reader.js';
import { toTransportSafeCanonical } from '../../src/engine/mime/canonicalize.js';
import { base64Decode } from '../../src/engine/mime/base64.js';
import { readMultipart } from '../../src/engine/mime/multipart.js';
import { openMessage } from '../../src/engine/smime/open.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { softwareKey } from '../../src/engine/software-key.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';
import { isCachetError } from '../../src/errors.js';
import { certificateDer, pkiBytes, pkiFile, privateKey } from '../helpers/pki.js';

/** Runs `fn`; a CachetError is an acceptable outcome, anything else fails the property. */
async function onlyTypedErrors(fn: () => Promise<unknown> | unknown): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!isCachetError(error)) throw error;
  }
}

const mimeLike = fc.array(
  fc.oneof(
    fc.constantFrom('Content-Type: multipart/mixed; boundary="b"\r\n', 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=b\r\n',
      'Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n', 'Content-Transfer-Encoding: base64\r\n', '\r\n', '--b\r\n', '--b--\r\n',
      'From: a@b\r\n', 'MIIB', '\n', '=?utf-8?B?w6k=?=', ' folded\r\n'),
    fc.string({ maxLength: 40 }),
  ),
  { maxLength: 30 },
).map((pieces) => Buffer.from(pieces.join(''), 'latin1'));

const input = fc.oneof(fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)), mimeLike);

test('header, entity, multipart, base64 and canonical-form readers: only typed errors', async () => {
  await fc.assert(
    fc.asyncProperty(input, async (bytes) => {
      await onlyTypedErrors(() => parseHeaderBlock(bytes));
      await onlyTypedErrors(async () => collectBytes((await readMimeEntity(toByteStream(bytes))).body));
      await onlyTypedErrors(() => collectBytes(base64Decode(toByteStream(bytes))));
      await onlyTypedErrors(() => collectBytes(toTransportSafeCanonical(toByteStream(bytes))));
      await onlyTypedErrors(async () => {
        for await (const part of readMultipart(await readMimeEntity(toByteStream(bytes)))) await collectBytes(part.body);
      });
    }),
    { numRuns: 300, interruptAfterTimeLimit: 20_000 },
  );
});

test('openMessage on random input: only typed errors, never a signed verdict', async () => {
  await fc.assert(
    fc.asyncProperty(input, async (bytes) => {
      await onlyTypedErrors(async () => {
        const result = await openMessage(toByteStream(bytes), { decryptors: [] });
        assert.notEqual(result.report.status, 'valid');
        await result.dispose();
      });
    }),
    { numRuns: 200, interruptAfterTimeLimit: 20_000 },
  );
});

test('a signed message with one byte changed anywhere in the signed part is never valid', async () => {
  const entity = 'Content-Type: text/plain\r\n\r\nPay 100 EUR to account 12345.\r\n';
  const signed = Buffer.concat([
    Buffer.from('From: alice@example.com\r\n'),
    execFileSync('openssl', ['cms', '-sign', '-signer', pkiFile('alice.pem'), '-inkey', pkiFile('alice.key'), '-md', 'sha256'], { input: entity }),
  ]);
  const validator = createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')] });
  const decryptors = [{ certificate: certificateDer('alice'), key: softwareKey(privateKey('alice')) }];
  const start = signed.indexOf('Pay 100');
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: start, max: start + 28 }), fc.integer({ min: 1, max: 255 }), async (position, flip) => {
      const mutated = Buffer.from(signed);
      mutated[position]! ^= flip;
      await onlyTypedErrors(async () => {
        const result = await openMessage(toByteStream(mutated), { decryptors, validator });
        assert.notEqual(result.report.status, 'valid', `byte ${position} ^ ${flip}`);
        await result.dispose();
      });
    }),
    { numRuns: 100 },
  );
});
