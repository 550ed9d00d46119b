/**
 * The other implementations Cachet is checked against, set up privately in a temp directory:
 * an NSS database (Thunderbird's engine: cmsutil, certutil, pk12util) with the test CA trusted and
 * some PKCS#12 identities, and a GnuPG home for gpgsm (CA in trustlist.txt, no CRL checks).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { P12_PASSWORD, pkiFile } from './pki.js';

export interface ToolResult {
  status: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs a tool and returns its status and output (a missing tool throws: it must fail the test). */
export function runTool(command: string, args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): ToolResult {
  const result = spawnSync(command, args, { input: options.input, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr.toString() };
}

export function runToolOk(command: string, args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Buffer {
  const result = runTool(command, args, options);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** An NSS sql: database in `dir` with the test CA trusted and the identities' PKCS#12 files imported. */
export function makeNssDatabase(dir: string, identities: string[]): string {
  mkdirSync(dir, { recursive: true });
  const db = `sql:${dir}`;
  runToolOk('certutil', ['-N', '-d', db, '--empty-password']);
  runToolOk('certutil', ['-A', '-d', db, '-n', 'testca', '-t', 'C,C,C', '-i', pkiFile('ca.pem')]);
  for (const name of identities) runToolOk('pk12util', ['-i', pkiFile(`${name}.p12`), '-d', db, '-W', P12_PASSWORD, '-K', '']);
  return db;
}

/** A GNUPGHOME in `dir` for gpgsm with the test CA trusted and the identities' legacy PKCS#12 imported. */
export function makeGnupgHome(dir: string, identities: string[]): NodeJS.ProcessEnv {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const env = { ...process.env, GNUPGHOME: dir };
  writeFileSync(join(dir, 'gpgsm.conf'), 'disable-crl-checks\ndisable-dirmngr\nno-common-certs-import\n');
  writeFileSync(join(dir, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');
  runToolOk('gpgsm', ['--batch', '--import', pkiFile('ca.pem')], { env });
  const fingerprint = runToolOk('openssl', ['x509', '-in', pkiFile('ca.pem'), '-noout', '-fingerprint', '-sha1']).toString().trim().split('=')[1];
  writeFileSync(join(dir, 'trustlist.txt'), `${fingerprint} S relax\n`);
  // gpgsm cannot import PBES2 files (OpenSSL 3's default): the legacy ones, as Windows writes them.
  for (const name of identities) {
    runToolOk('gpgsm', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--import', pkiFile(`${name}-legacy.p12`)], { env, input: `${P12_PASSWORD}\n` });
  }
  return env;
}

export function stopGnupg(env: NodeJS.ProcessEnv | undefined): void {
  if (env) runTool('gpgconf', ['--kill', 'gpg-agent'], { env });
}
