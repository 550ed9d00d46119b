/**
 * Hand-made hostile messages for the issue 14 tests: signed, encrypted and certs-only content made
 * with the openssl CLI (the other implementation) from the test PKI, with headers written by hand.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCertsOnly } from '../../src/engine/smime/certs-only.js';
import { collectBytes } from '../../src/engine/stream-types.js';
import { certificateDer, pkiFile } from '../helpers/pki.js';

export const BODY = 'Content-Type: text/plain; charset=utf-8\r\n\r\nThe quarterly figures are final.\r\n';

function openssl(args: string[], input: string | Buffer): Buffer {
  const work = mkdtempSync(join(tmpdir(), 'cachet-hostile-'));
  try {
    const file = join(work, 'in');
    writeFileSync(file, input);
    return execFileSync('openssl', ['cms', ...args, '-in', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A multipart/signed (or, opaque, application/pkcs7-mime) entity signed by the test identity NAME;
 * `carry` names other identities whose certificates the SignedData carries beside the signer's.
 */
export function sign(name: string, entity: string | Buffer, opaque = false, carry: string[] = []): Buffer {
  const extra = carry.flatMap((other) => ['-certfile', pkiFile(`${other}.pem`)]);
  return openssl(['-sign', '-signer', pkiFile(`${name}.pem`), '-inkey', pkiFile(`${name}.key`), '-md', 'sha256', ...extra, ...(opaque ? ['-nodetach'] : [])], entity);
}

/** An application/pkcs7-mime enveloped-data entity for the test identity NAME (cipher as openssl names it). */
export function encrypt(name: string, entity: string | Buffer, cipher = '-aes-256-cbc'): Buffer {
  const legacy = cipher.startsWith('-rc2') ? ['-provider', 'legacy', '-provider', 'default'] : [];
  return openssl(['-encrypt', cipher, ...legacy, '-recip', pkiFile(`${name}.pem`)], entity);
}

/** Header fields written by hand in front of an entity (which brings its own Content-Type). */
export function withHeaders(fields: Record<string, string | string[]>, entity: string | Buffer): Buffer {
  const lines = Object.entries(fields).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v}\r\n`));
  return Buffer.concat([Buffer.from(lines.join(''), 'utf8'), Buffer.from(entity)]);
}

/** An unsigned certs-only message (RFC 8551 §3.6) carrying the certificates of the named identities. */
export async function certsOnlyMessage(from: string, names: string[]): Promise<Buffer> {
  const entity = await collectBytes(buildCertsOnly(names.map((n) => certificateDer(n))));
  return withHeaders({ From: from, To: 'bob@example.com', Subject: 'my certificate' }, entity);
}
