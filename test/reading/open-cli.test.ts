/**
 * `cachet open` as a user runs it: OpenSSL-made messages in, one JSON verdict out, the innermost
 * entity written only after the verdict, and exit statuses as documented in `cachet open --help`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { P12_PASSWORD, pkiFile } from '../helpers/pki.js';
import { compressedEntity } from '../helpers/compressed-data.js';

let work: string;
let passwordFile: string;
let env: { CACHET_HOME: string };
before(() => {
  work = mkdtempSync(join(tmpdir(), 'cachet-open-cli-'));
  passwordFile = join(work, 'password');
  writeFileSync(passwordFile, `${P12_PASSWORD}\n`, { mode: 0o600 });
  env = { CACHET_HOME: join(work, 'home') };
});
after(() => rmSync(work, { recursive: true, force: true }));

const BODY = 'Content-Type: text/plain; charset=us-ascii\r\n\r\nThe quarterly figures are attached.\r\n';
let counter = 0;

function file(content: string | Buffer): string {
  const path = join(work, `f${counter++}`);
  writeFileSync(path, content);
  return path;
}

function openssl(args: string[], input: string | Buffer): Buffer {
  return execFileSync('openssl', ['cms', ...args, '-in', file(input)], { stdio: ['ignore', 'pipe', 'pipe'] });
}
const sign = (who: string, entity: string | Buffer) => openssl(['-sign', '-signer', pkiFile(`${who}.pem`), '-inkey', pkiFile(`${who}.key`), '-md', 'sha256'], entity);
const encrypt = (to: string, entity: string | Buffer) => openssl(['-encrypt', '-aes-256-cbc', '-recip', pkiFile(`${to}.pem`)], entity);
const message = (from: string, body: Buffer) => Buffer.concat([Buffer.from(`From: ${from}\r\nTo: bob@example.com\r\nSubject: Figures\r\n`), body]);

async function open(input: Buffer, extra: string[] = []) {
  const out = join(work, `out${counter++}`);
  const run = await runCachet(['open', '--trust', pkiFile('ca.pem'), '--json', '-i', file(input), '-o', out, ...extra], { env });
  return { ...run, report: run.stdout ? JSON.parse(run.stdout) : undefined, out, written: existsSync(out) ? readFileSync(out, 'utf8') : undefined };
}

test('open --json: triple wrap is valid and encrypted, exit 0, innermost entity written', async () => {
  const triple = sign('alice', encrypt('bob', sign('alice', BODY)));
  const r = await open(message('Alice <alice@example.com>', triple), ['--key', pkiFile('bob.p12'), '--password-file', passwordFile]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.report.status, 'valid');
  assert.equal(r.report.encrypted, true);
  assert.equal(r.report.valid, true);
  assert.equal(r.report.trusted, true);
  assert.deepEqual(r.report.from, ['alice@example.com']);
  assert.deepEqual(r.report.layers.map((l: { kind: string }) => l.kind), ['signed', 'encrypted', 'signed']);
  assert.equal(typeof r.report.headers, 'object');
  assert.match(r.written ?? '', /quarterly figures/);
});

test('open --json: each failing verdict exits non-zero with its status', async () => {
  const tampered = Buffer.from(message('alice@example.com', sign('alice', BODY)).toString('latin1').replace('quarterly', 'Quarterly'), 'latin1');
  const cases: Array<[Buffer, string]> = [
    [tampered, 'invalid'],
    [message('alice@example.com', sign('eve', BODY)), 'untrusted'],
    [message('carol@example.com', sign('alice', BODY)), 'mismatch'],
  ];
  for (const [input, status] of cases) {
    const r = await open(input);
    assert.equal(r.report.status, status);
    assert.notEqual(r.status, 0, `${status} must not exit 0`);
  }
});

test('open: not-signed plain mail exits 0; a message for someone else fails with a stable code and no output', async () => {
  const plain = await open(Buffer.from(`From: a@example.com\r\nSubject: hi\r\n${BODY}`));
  assert.equal(plain.status, 0);
  assert.equal(plain.report.status, 'not-signed');
  assert.equal(plain.report.encrypted, false);

  const forCarol = await open(message('alice@example.com', encrypt('carol', BODY)), ['--key', pkiFile('bob.p12'), '--password-file', passwordFile]);
  assert.notEqual(forCarol.status, 0);
  assert.equal(forCarol.written, undefined, 'nothing may be written without a verdict');
  assert.match(forCarol.stdout + forCarol.stderr, /ERR_NOT_A_RECIPIENT|ERR_DECRYPT_FAILED/);
  assert.doesNotMatch(forCarol.stderr, /\n\s+at /, 'no stack trace');
});

test('open --json: compressed data signed around it (BouncyCastle, MimeKit) is valid; its layer is reported and unpacked', async () => {
  const r = await open(message('Alice <alice@example.com>', sign('alice', compressedEntity(BODY, { indefinite: true }))));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.report.status, 'valid');
  assert.equal(r.report.encrypted, false);
  assert.deepEqual(r.report.layers.map((l: { kind: string }) => l.kind), ['signed', 'compressed']);
  assert.equal(r.report.layers[1].algorithm, 'zlib');
  assert.equal(r.written, BODY);
});

test('--certfile (verify and open): a signature without its certificates verifies with them, as openssl -certfile', async () => {
  // dan is issued by the intermediate: -nocerts leaves out both his certificate and the intermediate.
  const signed = message('dan@example.com', openssl(['-sign', '-nocerts', '-signer', pkiFile('dan.pem'), '-inkey', pkiFile('dan.key'), '-md', 'sha256'], BODY));
  const bundle = file(Buffer.concat([readFileSync(pkiFile('dan.pem')), readFileSync(pkiFile('inter.pem'))]));
  const without = await open(signed);
  assert.equal(without.status, 1);
  assert.equal(without.report.signers[0].error.code, 'ERR_SIGNER_CERT_MISSING');
  const withBundle = await open(signed, ['--certfile', bundle]);
  assert.equal(withBundle.status, 0, withBundle.stderr);
  assert.equal(withBundle.report.status, 'valid');
  const verified = await runCachet(['verify', '--trust', pkiFile('ca.pem'), '--certfile', bundle, '--json', '-i', file(signed)], { env });
  assert.equal(verified.status, 0, verified.stderr);
  assert.deepEqual(JSON.parse(verified.stdout).signers.map((s: { email: string[]; trusted: boolean }) => [s.email[0], s.trusted]), [['dan@example.com', true]]);
  // Only the leaf: the signature verifies but the chain lacks the intermediate.
  const leafOnly = await runCachet(['verify', '--trust', pkiFile('ca.pem'), '--certfile', pkiFile('dan.pem'), '--json', '-i', file(signed)], { env });
  assert.equal(leafOnly.status, 5, leafOnly.stderr);
  // A PKCS#12 file is not a certificate file: refused, no password asked.
  const p12 = await runCachet(['verify', '--certfile', pkiFile('dan.p12'), '-i', file(signed)], { env });
  assert.equal(p12.status, 2);
  assert.match(p12.stderr, /PKCS#12/);
});
