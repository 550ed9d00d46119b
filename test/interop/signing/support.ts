/** Shared by the signing interop tests: signers from the test PKI, temp dirs, running the tools. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateDer, privateKey } from '../../helpers/pki.js';
import { softwareKey } from '../../../src/engine/software-key.js';
import type { Signer } from '../../../src/engine/keys.js';
import { collectBytes, toByteStream } from '../../../src/engine/stream-types.js';
import { signEntity, type SignOptions } from '../../../src/engine/smime/sign.js';
import { verifySignedEntity, type VerifyOptions } from '../../../src/engine/smime/verify.js';
import { readMimeEntity } from '../../../src/engine/mime/entity-reader.js';
import type { SignedLayerReport } from '../../../src/engine/smime/reports.js';

export function signer(name: string, extra: Partial<Signer> = {}): Signer {
  return { certificate: certificateDer(name), key: softwareKey(privateKey(name)), ...extra };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs a tool; returns its status and output (never throws on a non-zero exit). */
export function run(command: string, args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): { status: number; stdout: Buffer; stderr: string } {
  const result = spawnSync(command, args, { input: options.input, env: options.env ?? process.env, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error; // a missing tool must fail the test
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr.toString() };
}

export function runOk(command: string, args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Buffer {
  return execFileSync(command, args, { input: options.input, env: options.env ?? process.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

export const ENTITY = Buffer.from('Content-Type: text/plain; charset=us-ascii\r\n\r\nHello Bob,\r\nthis is a signed test.\r\n');

/** Cachet signs an entity; returns a whole message (with MIME-Version) ready for other tools. */
export async function cachetSign(entity: Buffer, options: SignOptions): Promise<Buffer> {
  const signed = await collectBytes(signEntity(toByteStream(entity), options));
  return Buffer.concat([Buffer.from('MIME-Version: 1.0\r\nFrom: alice@example.com\r\nSubject: test\r\n'), signed]);
}

/** Cachet verifies a message; returns the report and the signed content it streamed out. */
export async function cachetVerify(message: Buffer, options: VerifyOptions = {}): Promise<{ report: SignedLayerReport; content: Buffer }> {
  const parts: Buffer[] = [];
  const report = await verifySignedEntity(await readMimeEntity(toByteStream(message)), { write: (c) => void parts.push(Buffer.from(c)) }, options);
  return { report, content: Buffer.concat(parts) };
}

export function errors(report: SignedLayerReport): string {
  return JSON.stringify(report.signers.map((s) => s.error));
}

/** Splits a multipart/signed message by plain string search: the signed content and the DER signature. */
export function splitSigned(message: Buffer): { content: Buffer; signature: Buffer } {
  const text = message.toString('latin1');
  const boundary = /boundary="([^"]+)"/.exec(text)?.[1];
  if (!boundary) throw new Error('no boundary');
  const first = text.indexOf(`--${boundary}\r\n`);
  const start = first + boundary.length + 4;
  const second = text.indexOf(`\r\n--${boundary}\r\n`, start);
  const content = Buffer.from(text.slice(start, second), 'latin1');
  const signaturePart = text.slice(second + boundary.length + 6, text.indexOf(`\r\n--${boundary}--`));
  const body = signaturePart.slice(signaturePart.indexOf('\r\n\r\n') + 4);
  return { content, signature: Buffer.from(body.replace(/\s+/g, ''), 'base64') };
}
