/**
 * `npm run bench`: Cachet beside `openssl cms` in the same run, on the same messages and keys.
 *
 * For each size (4 KiB, 1 MiB, 32 MiB, 256 MiB; BENCH_SIZES=4k,1m overrides, BENCH_1G=1 adds 1 GiB)
 * it times sign, verify, encrypt (AES-256-GCM and AES-256-CBC) and decrypt as whole processes under
 * GNU time (wall time and peak RSS), prints MB/s, peak RSS and the Cachet/OpenSSL ratio, and Cachet's
 * ratio to the machine's limit measured in the same run (SHA-256 for sign/verify, AES + base64 for
 * encrypt/decrypt). Then it measures small-message rates in one process (signs and verifies per
 * second for 4 KiB, RSA-2048), which process start-up would otherwise hide.
 *
 * Nothing here is a test: targets are printed beside the numbers, never asserted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeMessage } from './make-message.js';
import { testPkiDir } from '../test/helpers/pki.js';
import { measureSmallMessageRates } from './small-messages.js';

const MiB = 1024 * 1024;
const SIZES: Record<string, number> = { '4k': 4096, '1m': MiB, '32m': 32 * MiB, '256m': 256 * MiB, '1g': 1024 * MiB };

interface Measurement {
  seconds: number;
  peakRssMb: number;
  ok: boolean;
}

function timed(command: string, args: string[]): Measurement {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', command, ...args], { encoding: 'utf8', maxBuffer: 16 * MiB });
  const lines = (result.stderr ?? '').trim().split('\n');
  const [elapsed, rssKb] = (lines[lines.length - 1] ?? '0 0').split(' ').map(Number);
  return { seconds: Math.max(elapsed ?? 0, 0.01), peakRssMb: (rssKb ?? 0) / 1024, ok: result.status === 0 };
}

function machineLimits(): { sha256: number; aesBase64: number } {
  const chunk = randomBytes(MiB);
  const total = 256;
  let start = process.hrtime.bigint();
  const hash = createHash('sha256');
  for (let i = 0; i < total; i++) hash.update(chunk);
  hash.digest();
  const sha256 = total / (Number(process.hrtime.bigint() - start) / 1e9);
  start = process.hrtime.bigint();
  const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
  for (let i = 0; i < total; i++) cipher.update(chunk).toString('base64');
  cipher.final();
  const aesBase64 = total / (Number(process.hrtime.bigint() - start) / 1e9);
  return { sha256, aesBase64 };
}

/** The load average (1, 5, 15 minutes) beside the number of CPUs. */
function loadLine(): string {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} CPUs`;
}

function pad(value: string, width: number): string {
  return value.length >= width ? value : value + ' '.repeat(width - value.length);
}

async function main(): Promise<void> {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  const pki = testPkiDir();
  const work = mkdtempSync(join(tmpdir(), 'cachet-bench-'));
  const passwordFile = join(work, 'password');
  writeFileSync(passwordFile, 'test');
  const cachet = (...args: string[]) => ['bin/cachet', ...args];
  const sizes = (process.env.BENCH_SIZES ?? '4k,1m,32m,256m').split(',').concat(process.env.BENCH_1G ? ['1g'] : []);
  const limits = machineLimits();
  console.log(`machine limits in this run: SHA-256 ${limits.sha256.toFixed(0)} MB/s, AES-256-GCM + base64 ${limits.aesBase64.toFixed(0)} MB/s`);
  // Other work on the machine moves every number here (both tools alike, but not always at the same
  // moment): the load is printed so that a run on a busy machine can be recognised as one.
  console.log(`${loadLine()}\n`);
  console.log(
    [pad('size', 6), pad('operation', 16), pad('cachet MB/s', 12), pad('openssl MB/s', 13), pad('ratio', 7), pad('cachet RSS', 11), pad('openssl RSS', 12), 'cachet/limit'].join(' '),
  );
  try {
    for (const sizeName of sizes) {
      const size = SIZES[sizeName];
      if (!size) throw new Error(`unknown size ${sizeName}`);
      const message = join(work, `m-${sizeName}.eml`);
      await makeMessage(message, size);
      const mb = statSync(message).size / MiB;
      const f = (name: string) => join(work, `${sizeName}-${name}`);
      const rows: Array<[string, Measurement, Measurement, number]> = [
        ['sign', timed('node', cachet('sign', '--signer', join(pki, 'alice.p12'), '--password-file', passwordFile, '-i', message, '-o', f('c.sig'))),
          timed('openssl', ['cms', '-sign', '-stream', '-in', message, '-signer', join(pki, 'alice.pem'), '-inkey', join(pki, 'alice.key'), '-md', 'sha256', '-out', f('o.sig')]), limits.sha256],
        ['verify', timed('node', cachet('verify', '--trust', join(pki, 'ca.pem'), '-i', f('c.sig'))),
          timed('openssl', ['cms', '-verify', '-CAfile', join(pki, 'ca.pem'), '-in', f('o.sig'), '-out', '/dev/null']), limits.sha256],
        ['encrypt gcm', timed('node', cachet('encrypt', '--to', join(pki, 'bob.pem'), '--cipher', 'aes-256-gcm', '-i', message, '-o', f('c.gcm'))),
          timed('openssl', ['cms', '-encrypt', '-stream', '-aes-256-gcm', '-in', message, '-out', f('o.gcm'), join(pki, 'bob.pem')]), limits.aesBase64],
        ['encrypt cbc', timed('node', cachet('encrypt', '--to', join(pki, 'bob.pem'), '--cipher', 'aes-256-cbc', '-i', message, '-o', f('c.cbc'))),
          timed('openssl', ['cms', '-encrypt', '-stream', '-aes-256-cbc', '-in', message, '-out', f('o.cbc'), join(pki, 'bob.pem')]), limits.aesBase64],
        ['decrypt gcm', timed('node', cachet('decrypt', '--key', join(pki, 'bob.p12'), '--password-file', passwordFile, '-i', f('c.gcm'), '-o', f('c.gcm.out'))),
          timed('openssl', ['cms', '-decrypt', '-in', f('o.gcm'), '-recip', join(pki, 'bob.pem'), '-inkey', join(pki, 'bob.key'), '-out', f('o.gcm.out')]), limits.aesBase64],
        ['decrypt cbc', timed('node', cachet('decrypt', '--key', join(pki, 'bob.p12'), '--password-file', passwordFile, '-i', f('c.cbc'), '-o', f('c.cbc.out'))),
          timed('openssl', ['cms', '-decrypt', '-in', f('o.cbc'), '-recip', join(pki, 'bob.pem'), '-inkey', join(pki, 'bob.key'), '-out', f('o.cbc.out')]), limits.aesBase64],
      ];
      for (const [name, ours, theirs, limit] of rows) {
        const ourRate = mb / ours.seconds;
        const theirRate = mb / theirs.seconds;
        console.log(
          [
            pad(sizeName, 6),
            pad(name, 16),
            pad(ours.ok ? ourRate.toFixed(1) : 'FAILED', 12),
            pad(theirs.ok ? theirRate.toFixed(1) : 'FAILED', 13),
            pad((ourRate / theirRate).toFixed(2) + 'x', 7),
            pad(`${ours.peakRssMb.toFixed(0)} MB`, 11),
            pad(`${theirs.peakRssMb.toFixed(0)} MB`, 12),
            (ourRate / limit).toFixed(2),
          ].join(' '),
        );
      }
      rmSync(join(work, `m-${sizeName}.eml`), { force: true });
    }
    console.log('\nsmall messages in one process (4 KiB, RSA-2048):');
    const rates = await measureSmallMessageRates(pki);
    console.log(`  signs/s ${rates.signsPerSecond.toFixed(0)} (target ≥ 1000), verifies/s ${rates.verifiesPerSecond.toFixed(0)} (target ≥ 2000)`);
    console.log('\ntargets: sign/encrypt ≥ 1.0x OpenSSL on large messages; verify/decrypt ≥ 5x; peak RSS < 128 MB at every size.');
    console.log(loadLine());
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
