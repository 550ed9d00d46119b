/**
 * The test PKI (test/pki/make-test-pki.sh), generated once per machine and day and shared by every
 * test file: generated into a private directory, then renamed into place, so parallel test processes
 * never see a half-made PKI.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../pki/make-test-pki.sh', import.meta.url));

let cached: string | undefined;

/** The directory holding the test PKI; see make-test-pki.sh for its contents. Password "test". */
export function testPkiDir(): string {
  if (cached) return cached;
  const version = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex').slice(0, 12);
  const day = new Date().toISOString().slice(0, 10);
  const target = join(tmpdir(), `cachet-test-pki-${version}-${day}`);
  if (!existsSync(join(target, 'ca.crl'))) {
    const scratch = mkdtempSync(join(tmpdir(), 'cachet-pki-'));
    execFileSync('bash', [SCRIPT, scratch], { stdio: 'pipe' });
    try {
      renameSync(scratch, target);
    } catch {
      // another test process won the race; its PKI is as good as ours
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  cached = target;
  return target;
}

export const P12_PASSWORD = 'test';

export function pkiFile(name: string): string {
  return join(testPkiDir(), name);
}

export function pkiBytes(name: string): Buffer {
  return readFileSync(pkiFile(name));
}

/** DER of NAME.pem (NAME.der). */
export function certificateDer(name: string): Buffer {
  return pkiBytes(`${name}.der`);
}

export function privateKey(name: string): KeyObject {
  return createPrivateKey(pkiBytes(`${name}.key`));
}
