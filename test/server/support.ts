/**
 * What the `cachet server` tests share: a CA and server certificates made with openssl at test time,
 * a state directory with a key-encryption key, a config file, and the server run as a real process
 * (node --import tsx src/entry/dev.ts server …) whose JSON log lines the test reads.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MailServers } from '../helpers/mail-servers.js';
import { pkiFile } from '../helpers/pki.js';

export interface TestCa {
  caFile: string;
  ca: string;
  /** Issues a certificate for localhost and 127.0.0.1 with this common name; returns [certFile, keyFile]. */
  issue(name: string): [string, string];
}

export function makeTestCa(dir: string): TestCa {
  mkdirSync(dir, { recursive: true });
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', '/CN=Cachet test TLS CA'], { stdio: 'ignore' });
  const ca = execFileSync('cat', [caFile]).toString();
  return {
    caFile,
    ca,
    issue(name) {
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const cert = join(dir, `${name}.pem`);
      const ext = join(dir, `${name}.ext`);
      writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
      execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`], { stdio: 'ignore' });
      execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext], { stdio: 'ignore' });
      return [cert, key];
    },
  };
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The common name of the certificate the server presented. */
  peerName: string;
}

export function httpsRequest(url: string, ca: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    // agent: false — a fresh TLS handshake each time, so a reloaded certificate is seen.
    const req = request(url, { method: options.method ?? 'GET', ca, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const peer = res.socket && 'getPeerCertificate' in res.socket ? (res.socket as import('node:tls').TLSSocket).getPeerCertificate() : undefined;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), peerName: String(peer?.subject?.CN ?? '') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const MAIN = fileURLToPath(new URL('../../src/entry/dev.ts', import.meta.url));

/** A server config's `mail:` section for the test's Dovecot and Postfix: IMAPS, SMTP with STARTTLS, the test PKI's CA trusted. */
export function organisationMailYaml(mail: MailServers): string {
  return `mail:\n  imap:\n    host: 127.0.0.1\n    port: ${mail.imapsPort}\n    ca: ${pkiFile('ca.pem')}\n    servername: localhost\n  smtp:\n    host: 127.0.0.1\n    port: ${mail.smtpPort}\n    starttls: true\n    ca: ${pkiFile('ca.pem')}\n`;
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Every JSON log line so far. */
  lines: Array<Record<string, unknown>>;
  /** Resolves with the first log line (now or later) for which `match` is true. */
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

export async function runServerProcess(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'server', '--config', configFile], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }> = [];
  let stderr = '';
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { unparsed: text };
      }
      lines.push(line);
      for (const w of waiters.filter((w) => w.match(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (match: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const found = lines.find(match);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`no such log line; stderr: ${stderr}; lines: ${JSON.stringify(lines)}`)), timeoutMs);
      waiters.push({ match, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      void exited.then((code) => reject(new Error(`the server exited (${code}) first; stderr: ${stderr}`)));
    });
  const listening = await waitFor((l) => l['event'] === 'listening');
  return { child, url: String(listening['url']), lines, waitFor, exited };
}

import { Writable } from 'node:stream';
import { parseServerConfig } from '../../src/front-ends/server/config.js';
import { startServer, type RunningServer } from '../../src/front-ends/server/start.js';
import { jsonLinesLog } from '../../src/front-ends/server/log.js';
import { childEnv } from '../helpers/child-env.js';

export interface InProcessServer {
  server: RunningServer;
  lines: Array<Record<string, unknown>>;
  /** POST /api/login; returns the status, the JSON answer, the Retry-After and the session cookie. */
  login(user: string, password: string, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown>; retryAfter: string | null; cookie: string | undefined }>;
  /** A signed-in call (the session cookie, the server's Origin): its JSON answer, asserted 2xx. */
  api<T>(path: string, cookie: string, init?: RequestInit): Promise<T>;
}

/** Starts `cachet server` in this process (API only, no front end) from the YAML text, written to dir/server.yaml. */
export async function startInProcess(dir: string, yaml: string, options: Omit<import('../../src/front-ends/server/start.js').StartOptions, 'log'> = {}): Promise<InProcessServer> {
  writeFileSync(join(dir, 'server.yaml'), yaml);
  const lines: Array<Record<string, unknown>> = [];
  const out = new Writable({
    write(chunk, _encoding, done) {
      for (const text of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  const server = await startServer(parseServerConfig(yaml, join(dir, 'server.yaml')), { ...options, log: jsonLinesLog(out) });
  return {
    server,
    lines,
    async login(user, password, headers = {}) {
      const response = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.url, ...headers }, body: JSON.stringify({ user, password }) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown>, retryAfter: response.headers.get('retry-after'), cookie: response.headers.get('set-cookie')?.split(';')[0] };
    },
    async api<T>(path: string, cookie: string, init: RequestInit = {}): Promise<T> {
      const response = await fetch(`${server.url}${path}`, { ...init, headers: { cookie, origin: server.url, ...(init.headers as Record<string, string> | undefined) } });
      assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
      return (await response.json()) as T;
    },
  };
}

/** The name of the next server-sent event on the stream ("end" when it closes); `buffer` keeps what was read past it. */
export async function nextEvent(reader: ReadableStreamDefaultReader<Uint8Array>, buffer: { text: string }): Promise<string> {
  for (;;) {
    const match = /event: (\w+)\n/.exec(buffer.text);
    if (match) {
      buffer.text = buffer.text.slice(match.index + match[0].length);
      return match[1]!;
    }
    const { value, done } = await reader.read();
    if (done) return 'end';
    buffer.text += Buffer.from(value).toString('utf8');
  }
}
