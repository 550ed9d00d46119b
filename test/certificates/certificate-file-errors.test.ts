/**
 * Issue 14, misleading errors: each damaged or oversized certificate file is named for what it is,
 * with its own code, and a file that is not PKCS#12 never asks for a PKCS#12 password.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { pkiBytes, pkiFile } from '../helpers/pki.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-cert-errors-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function inspectError(path: string): Promise<{ code: string; message: string; stderr: string }> {
  // answers: [] makes any prompt (a PKCS#12 password) fail the run, so asking would show.
  const r = await runCachet(['cert', 'inspect', path, '--json'], { answers: [] });
  assert.notEqual(r.status, 0);
  const { code, message } = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
  return { code, message, stderr: r.stderr };
}

test('a truncated .der certificate is a damaged certificate, not "not a readable PKCS#12 file"', async () => {
  const path = join(dir, 'alice-cut.der');
  writeFileSync(path, pkiBytes('alice.der').subarray(0, 300));
  const error = await inspectError(path);
  assert.equal(error.code, 'ERR_CERT_MALFORMED');
  assert.match(error.message, /damaged or truncated certificate/);
  assert.doesNotMatch(error.stderr, /PKCS#12|Password/);
});

test('a .p7b with more certificates than allowed says so, and asks for no password', async () => {
  const bundle = join(dir, 'many.pem');
  writeFileSync(bundle, Array.from({ length: 70 }, () => readFileSync(pkiFile('alice.pem'), 'latin1')).join(''));
  const path = join(dir, 'many.p7b');
  execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', bundle, '-outform', 'DER', '-out', path]);
  const error = await inspectError(path);
  assert.equal(error.code, 'ERR_LIMIT_EXCEEDED');
  assert.match(error.message, /many\.p7b: .*too many certificates/);
  assert.doesNotMatch(error.stderr, /Password/);
});

test('a truncated .p7b is a damaged PKCS#7 file', async () => {
  const path = join(dir, 'cut.p7b');
  execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', pkiFile('chain.pem'), '-outform', 'DER', '-out', path]);
  writeFileSync(path, readFileSync(path).subarray(0, 400));
  const error = await inspectError(path);
  assert.equal(error.code, 'ERR_CERT_MALFORMED');
  assert.match(error.message, /not a readable PKCS#7/);
});
