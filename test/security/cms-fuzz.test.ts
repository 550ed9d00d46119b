/**
 * Property tests for the CMS layer as the reader meets it (openMessage): OpenSSL-made opaque-signed,
 * encrypted and triple-wrapped messages whose DER is mutated (bytes flipped, inserted, deleted,
 * truncated) and re-encoded. Whatever happens, only a typed CachetError escapes, every case finishes
 * within a time bound, and a `valid` verdict never comes with content other than what was signed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { openMessage } from '../../src/engine/smime/open.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { softwareKey } from '../../src/engine/software-key.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';
import { isCachetError } from '../../src/errors.js';
import { certificateDer, pkiBytes, pkiFile, privateKey } from '../helpers/pki.js';
import { compressedDataDer } from '../helpers/compressed-data.js';

/** No single case may take longer than this: a parser that loops on bad lengths fails the property. */
const CASE_TIME_LIMIT_MS = 10_000;
const BODY = 'Content-Type: text/plain; charset=us-ascii\r\n\r\nPay 100 EUR to account 12345.\r\n';

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'cachet-cms-fuzz-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

function openssl(args: string[], input: Buffer | string): Buffer {
  const file = join(work, `in-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, input);
  return execFileSync('openssl', ['cms', ...args, '-in', file, '-outform', 'DER'], { stdio: ['ignore', 'pipe', 'pipe'] });
}

const signDer = (content: Buffer | string) =>
  openssl(['-sign', '-nodetach', '-signer', pkiFile('alice.pem'), '-inkey', pkiFile('alice.key'), '-md', 'sha256'], content);
const encryptDer = (content: Buffer | string) => openssl(['-encrypt', '-aes-256-cbc', '-recip', pkiFile('bob.pem')], content);

/** An application/pkcs7-mime entity around a DER object, as a whole message. */
function message(der: Buffer, smimeType: string): Buffer {
  const base64 = der.toString('base64').replace(/.{1,76}/g, '$&\r\n');
  return Buffer.from(
    `From: alice@example.com\r\nTo: bob@example.com\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: application/pkcs7-mime; smime-type=${smimeType}; name=smime.p7m\r\n` +
      `Content-Transfer-Encoding: base64\r\n\r\n${base64}`,
    'latin1',
  );
}

function pkcs7Entity(der: Buffer, smimeType: string): string {
  return `Content-Type: application/pkcs7-mime; smime-type=${smimeType}\r\nContent-Transfer-Encoding: base64\r\n\r\n${der.toString('base64').replace(/.{1,76}/g, '$&\r\n')}`;
}

type Mutation = { kind: 'flip'; at: number; mask: number } | { kind: 'insert'; at: number; byte: number } | { kind: 'delete'; at: number } | { kind: 'truncate'; at: number };

function mutate(der: Buffer, m: Mutation): Buffer {
  const at = m.at % der.length;
  switch (m.kind) {
    case 'flip': {
      const copy = Buffer.from(der);
      copy[at]! ^= m.mask;
      return copy;
    }
    case 'insert':
      return Buffer.concat([der.subarray(0, at), Buffer.from([m.byte]), der.subarray(at)]);
    case 'delete':
      return Buffer.concat([der.subarray(0, at), der.subarray(at + 1)]);
    case 'truncate':
      return der.subarray(0, at);
  }
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

interface Outcome {
  status?: string;
  content?: string;
}

/** Opens a message within the time bound; a CachetError is an acceptable outcome, nothing else is. */
async function openBounded(bytes: Buffer, withKey: boolean): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`openMessage took more than ${CASE_TIME_LIMIT_MS} ms`)), CASE_TIME_LIMIT_MS);
  });
  const run = (async (): Promise<Outcome> => {
    try {
      const result = await openMessage(toByteStream(bytes), {
        decryptors: withKey ? [{ certificate: certificateDer('bob'), key: softwareKey(privateKey('bob')) }] : [],
        validator: createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')] }),
      });
      try {
        return { status: result.report.status, content: (await collectBytes(result.content)).toString('latin1') };
      } finally {
        await result.dispose();
      }
    } catch (error) {
      if (!isCachetError(error)) throw error;
      return {};
    }
  })();
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Runs {
  numRuns: number;
  interruptAfterTimeLimit: number;
}

/** `der` mutated at random, as `smimeType`: only typed errors, and a valid verdict only with the original content. */
async function assertMutationsNeverValidWithOtherContent(der: Buffer, smimeType: string, withKey: boolean, runs: Runs): Promise<void> {
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      const outcome = await openBounded(message(mutate(der, m), smimeType), withKey);
      if (outcome.status === 'valid') assert.equal(outcome.content, BODY, `valid with changed content after ${JSON.stringify(m)}`);
    }),
    runs,
  );
}

/** `der` mutated at random, as `smimeType`: only typed errors, and never a signed verdict. */
async function assertMutationsNeverSigned(der: Buffer, smimeType: string, withKey: boolean, runs: Runs): Promise<void> {
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      const outcome = await openBounded(message(mutate(der, m), smimeType), withKey);
      if (outcome.status !== undefined) assert.equal(outcome.status, 'not-signed');
    }),
    runs,
  );
}

test('opaque SignedData, mutated: typed errors only; valid only with the signed content unchanged', async () => {
  const der = signDer(BODY);
  const pristine = await openBounded(message(der, 'signed-data'), false);
  assert.equal(pristine.status, 'valid', 'the unmutated message must be valid, or the property proves nothing');
  await assertMutationsNeverValidWithOtherContent(der, 'signed-data', false, { numRuns: 250, interruptAfterTimeLimit: 25_000 });
});

test('EnvelopedData, mutated: typed errors only, never a signed verdict', async () => {
  const der = encryptDer(BODY);
  assert.equal((await openBounded(message(der, 'enveloped-data'), true)).status, 'not-signed');
  await assertMutationsNeverSigned(der, 'enveloped-data', true, { numRuns: 150, interruptAfterTimeLimit: 15_000 });
});

test('signed around compressed data, mutated (DER and BER): typed errors only; valid only with the original content', async () => {
  for (const indefinite of [false, true]) {
    const der = signDer(pkcs7Entity(compressedDataDer(BODY, { indefinite }), 'compressed-data'));
    const pristine = await openBounded(message(der, 'signed-data'), false);
    assert.deepEqual(pristine, { status: 'valid', content: BODY });
    await assertMutationsNeverValidWithOtherContent(der, 'signed-data', false, { numRuns: 100, interruptAfterTimeLimit: 10_000 });
  }
});

test('compressed data alone, mutated: typed errors only, never a signed verdict', async () => {
  const der = compressedDataDer(BODY, { indefinite: true });
  assert.equal((await openBounded(message(der, 'compressed-data'), false)).status, 'not-signed');
  await assertMutationsNeverSigned(der, 'compressed-data', false, { numRuns: 150, interruptAfterTimeLimit: 10_000 });
});

test('triple wrap, outer signature mutated: typed errors only; valid only with the original content', async () => {
  const inner = pkcs7Entity(signDer(BODY), 'signed-data');
  const encrypted = pkcs7Entity(encryptDer(inner), 'enveloped-data');
  const der = signDer(encrypted);
  const pristine = await openBounded(message(der, 'signed-data'), true);
  assert.equal(pristine.status, 'valid');
  assert.equal(pristine.content, BODY);
  await assertMutationsNeverValidWithOtherContent(der, 'signed-data', true, { numRuns: 100, interruptAfterTimeLimit: 20_000 });
});

test('random bytes declared as each pkcs7-mime type, base64 or binary: typed errors only', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 600 }),
      fc.constantFrom('signed-data', 'enveloped-data', 'authEnveloped-data', 'certs-only', 'compressed-data', 'unknown'),
      fc.boolean(),
      async (bytes, type, binary) => {
        const body = Buffer.from(bytes);
        const msg = binary
          ? Buffer.concat([Buffer.from(`Content-Type: application/x-pkcs7-mime; smime-type=${type}\r\nContent-Transfer-Encoding: binary\r\n\r\n`), body])
          : message(body, type);
        const outcome = await openBounded(msg, true);
        if (outcome.status !== undefined) assert.notEqual(outcome.status, 'valid');
      },
    ),
    { numRuns: 200, interruptAfterTimeLimit: 15_000 },
  );
});
