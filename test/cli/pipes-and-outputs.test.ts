/**
 * What the CLI writes, as the shell sees it:
 * - `cachet decrypt` writes exactly the bytes that were encrypted (binary, CR/LF/CRLF mixed), to -o and
 *   to stdout, the same as `openssl cms -decrypt` — for OpenSSL's S/MIME and DER output.
 * - `cachet open </dev/null` says the input is empty (ERR_INPUT_READ, exit 3), as verify and decrypt.
 * - `cachet … | head -1`: a real pipe whose reader goes away prints no EPIPE stack trace; a command
 *   streaming its output stops with exit 141 (128 + SIGPIPE), as coreutils do.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { runToolOk } from '../helpers/oracles.js';
import { P12_PASSWORD, pkiFile } from '../helpers/pki.js';

let dir: string;
/** A MIME entity whose body is binary, with every line ending mixed in. */
let entity: Buffer;
let bigMessage: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-pipes-'));
  entity = Buffer.concat([
    Buffer.from('Content-Type: application/octet-stream\r\n\r\n'),
    Buffer.from('a\r\nb\nc\rd\r\r\n\n\n\r'),
    randomBytes(20_000),
    Buffer.from('\r\nlast line without an end'),
  ]);
  writeFileSync(join(dir, 'entity.bin'), entity);
  // Large enough (4 MiB) that its output cannot sit in a pipe's buffer.
  bigMessage = join(dir, 'big.eml');
  writeFileSync(bigMessage, Buffer.concat([Buffer.from('Content-Type: text/plain\r\n\r\n'), Buffer.from(randomBytes(3 * 1024 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n'))]));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const env = { CACHET_PASSWORD: P12_PASSWORD, CACHET_HOME: '/nonexistent-cachet-home' };

test('decrypt writes exactly the decrypted bytes, to -o and to stdout, as openssl cms -decrypt does', async () => {
  for (const form of ['SMIME', 'DER'] as const) {
    const encrypted = join(dir, `entity.${form}`);
    runToolOk('openssl', ['cms', '-encrypt', '-binary', '-aes256', '-in', join(dir, 'entity.bin'), '-outform', form, '-out', encrypted, pkiFile('bob.pem')]);
    const byOpenssl = runToolOk('openssl', ['cms', '-decrypt', '-binary', '-inform', form, '-in', encrypted, '-recip', pkiFile('bob.pem'), '-inkey', pkiFile('bob.key')]);
    assert.deepEqual(byOpenssl, entity, 'OpenSSL gives back the entity');
    const out = join(dir, `decrypted-${form}.bin`);
    const toFile = await runCachet(['decrypt', '--key', pkiFile('bob.p12'), '-i', encrypted, '-o', out], { env });
    assert.equal(toFile.status, 0, toFile.stderr);
    assert.deepEqual(readFileSync(out), byOpenssl, `${form}: -o holds the bytes OpenSSL decrypts`);
    const toStdout = await runCachet(['decrypt', '--key', pkiFile('bob.p12'), '-i', encrypted], { env });
    assert.equal(toStdout.status, 0, toStdout.stderr);
    assert.deepEqual(toStdout.stdoutBytes, byOpenssl, `${form}: stdout too`);
  }
});

test('open with an empty input says so, exit 3, as verify and decrypt do', async () => {
  for (const args of [['open'], ['open', '--json'], ['verify'], ['decrypt', '--key', pkiFile('bob.p12')]]) {
    const result = await runCachet(args, { env, stdin: '' });
    assert.equal(result.status, 3, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /the input is empty/);
  }
  const json = await runCachet(['open', '--json'], { env, stdin: '' });
  assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'ERR_INPUT_READ');
});

/**
 * Runs the CLI as a process whose stdout is a real pipe, and closes the reading end: at once
 * (`closeAfterFirstChunk` false: every write meets a pipe with no reader), or after the first chunk
 * arrives, as `head -1` does.
 */
function runIntoClosedPipe(args: string[], closeAfterFirstChunk: boolean): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/entry/dev.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    if (closeAfterFirstChunk) child.stdout.once('data', () => child.stdout.destroy());
    else child.stdout.destroy();
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

test('a pipe closed early: no EPIPE stack trace from any command that writes to stdout', async () => {
  const encrypted = join(dir, 'big.p7m');
  const sealed = await runCachet(['encrypt', '--to', pkiFile('bob.pem'), '-i', bigMessage, '-o', encrypted], { env });
  assert.equal(sealed.status, 0, sealed.stderr);
  const signed = join(dir, 'big.signed');
  const signing = await runCachet(['sign', '--signer', pkiFile('alice.p12'), '-i', bigMessage, '-o', signed], { env });
  assert.equal(signing.status, 0, signing.stderr);
  const streaming: string[][] = [
    ['sign', '--signer', pkiFile('alice.p12'), '-i', bigMessage],
    ['encrypt', '--to', pkiFile('bob.pem'), '-i', bigMessage],
    ['decrypt', '--key', pkiFile('bob.p12'), '-i', encrypted],
    ['open', '--key', pkiFile('bob.p12'), '-i', encrypted],
    ['verify', '-o', '-', '-i', signed],
  ];
  for (const args of streaming) {
    const { status, stderr } = await runIntoClosedPipe(args, true);
    assert.doesNotMatch(stderr, /EPIPE|Error:|\n\s+at /, `${args[0]}: ${stderr}`);
    assert.equal(status, 141, `${args[0]} stops as a Unix tool on SIGPIPE`);
  }
  const oneShot: string[][] = [['--help'], ['cert', 'inspect', pkiFile('alice.pem')], ['open', '--json', '-i', bigMessage], ['sign', '--help']];
  for (const args of oneShot) {
    const { status, stderr } = await runIntoClosedPipe(args, false);
    assert.doesNotMatch(stderr, /EPIPE|Error:|\n\s+at /, `${args.join(' ')}: ${stderr}`);
    assert.ok(status === 0 || status === 141, `${args.join(' ')}: exit ${status}`);
  }
});
