/**
 * DKIM with real parts, for the tests: opendkim as a signing milter (give its `milter` to
 * startMailServers, so Postfix signs what it relays), a key pair from opendkim-genkey, and dnsmasq as
 * the DNS server publishing TXT records (DKIM public keys) on 127.0.0.1. Stop both in `after`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';

export interface DkimKey {
  selector: string;
  domain: string;
  privateKey: KeyObject;
  /** The TXT record's text, "v=DKIM1; k=rsa; p=…". */
  record: string;
}

/** A 2048-bit DKIM key made by opendkim-genkey, its DNS record read from the .txt file it writes. */
export function generateDkimKey(domain: string, selector: string): DkimKey {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-dkim-key-'));
  try {
    execFileSync('opendkim-genkey', ['-b', '2048', '-d', domain, '-s', selector, '-D', dir], { stdio: 'pipe' });
    const txt = readFileSync(join(dir, `${selector}.txt`), 'utf8');
    const record = [...txt.matchAll(/"([^"]*)"/g)].map((m) => m[1]).join('');
    return { selector, domain, privateKey: createPrivateKey(readFileSync(join(dir, `${selector}.private`))), record };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A DKIM record for a key made here (not by opendkim): for a key that does not match the signer's. */
export function dkimRecordOf(publicKey: KeyObject): string {
  return `v=DKIM1; k=rsa; p=${createPublicKey(publicKey).export({ type: 'spki', format: 'der' }).toString('base64')}`;
}

interface Daemon { child: ChildProcess; dir: string; output: () => string }

function startDaemon(command: string, args: string[], dir: string): Daemon {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, dir, output: () => output };
}

async function waitForTcp(port: number, daemon: Daemon, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (daemon.child.exitCode !== null) throw new Error(`${what} exited: ${daemon.output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not listen on ${port}: ${daemon.output()}`);
}

function stopDaemon(daemon: Daemon): void {
  daemon.child.kill('SIGTERM');
  rmSync(daemon.dir, { recursive: true, force: true });
}

export interface DkimSigner {
  /** For Postfix's smtpd_milters. */
  milter: string;
  key: DkimKey;
  stop(): void;
}

/** opendkim in signing mode for `key`'s domain (mail from 127.0.0.1 is signed), relaxed/relaxed. */
export async function startDkimSigner(key: DkimKey): Promise<DkimSigner> {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-opendkim-'));
  const port = await freePort();
  writeFileSync(join(dir, 'key.private'), key.privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(dir, 'opendkim.conf'), [
    'Syslog no',
    'Mode s',
    `Domain ${key.domain}`,
    `Selector ${key.selector}`,
    `KeyFile ${join(dir, 'key.private')}`,
    `Socket inet:${port}@127.0.0.1`,
    'Canonicalization relaxed/relaxed',
    'RequireSafeKeys false',
    'Background no',
    `PidFile ${join(dir, 'opendkim.pid')}`,
    '',
  ].join('\n'));
  const daemon = startDaemon('opendkim', ['-f', '-x', join(dir, 'opendkim.conf')], dir);
  try {
    await waitForTcp(port, daemon, 'opendkim');
  } catch (error) {
    stopDaemon(daemon);
    throw error;
  }
  return { milter: `inet:127.0.0.1:${port}`, key, stop: () => stopDaemon(daemon) };
}

export interface TestDns {
  /** "127.0.0.1:PORT", for a resolver's setServers. */
  server: string;
  stop(): void;
}

/** dnsmasq on 127.0.0.1 answering only the given TXT records (nothing forwarded, no /etc/hosts). */
export async function startDns(records: Array<{ name: string; text: string }>): Promise<TestDns> {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-dnsmasq-'));
  const port = await freePort();
  // A TXT string holds 255 bytes at most: dnsmasq takes the strings of one record comma-separated.
  const txt = records.map(({ name, text }) => `--txt-record=${name},${text.match(/.{1,250}/g)!.join(',')}`);
  const daemon = startDaemon('dnsmasq', ['-k', '--conf-file=/dev/null', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', '--pid-file=', '--user=root', ...txt], dir);
  try {
    await waitForTcp(port, daemon, 'dnsmasq');
  } catch (error) {
    stopDaemon(daemon);
    throw error;
  }
  return { server: `127.0.0.1:${port}`, stop: () => stopDaemon(daemon) };
}
