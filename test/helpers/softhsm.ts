/**
 * A SoftHSM2 token in a temporary directory (SOFTHSM2_CONF points at it), initialised with a PIN and
 * loaded with test PKI keys and certificates under chosen CKA_IDs — a real PKCS#11 token for tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pkiFile } from './pki.js';
import { DEFAULT_PKCS11_MODULE } from '../../src/adapters/keys/pkcs11/token.js';

export interface SoftHsm {
  module: string;
  label: string;
  pin: string;
  remove(): void;
}

export function createSoftHsm(identities: Array<{ name: string; id: string }>, label = 'cachet', pin = '1234'): SoftHsm {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  // The module reads its configuration from the environment when it is initialised.
  process.env.SOFTHSM2_CONF = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '5678'], { env, stdio: 'ignore' });
  for (const { name, id } of identities) {
    // pkcs11-tool writes the key with the usages a mail key needs (sign, decrypt, derive for ECDH).
    const der = join(dir, `${name}.key.der`);
    execFileSync('openssl', ['pkey', '-in', pkiFile(`${name}.key`), '-outform', 'DER', '-out', der]);
    execFileSync('pkcs11-tool', ['--module', DEFAULT_PKCS11_MODULE, '--token-label', label, '--login', '--pin', pin, '--write-object', der, '--type', 'privkey', '--id', id, '--label', name, '--usage-sign', '--usage-decrypt', '--usage-derive'], { env, stdio: 'pipe' });
    execFileSync('pkcs11-tool', ['--module', DEFAULT_PKCS11_MODULE, '--token-label', label, '--login', '--pin', pin, '--write-object', pkiFile(`${name}.der`), '--type', 'cert', '--id', id, '--label', name], { env, stdio: 'ignore' });
  }
  return { module: DEFAULT_PKCS11_MODULE, label, pin, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes one more key pair and certificate (PEM files, e.g. a CA's) onto a token made by
 * {@link createSoftHsm}, under CKA_ID `id` (hex) and CKA_LABEL `label`.
 */
export function addToSoftHsm(hsm: SoftHsm, keyPemFile: string, certPemFile: string, id: string, label: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-softhsm-add-'));
  try {
    const key = join(dir, 'key.der');
    const cert = join(dir, 'cert.der');
    execFileSync('openssl', ['pkey', '-in', keyPemFile, '-outform', 'DER', '-out', key]);
    execFileSync('openssl', ['x509', '-in', certPemFile, '-outform', 'DER', '-out', cert]);
    const login = ['--module', hsm.module, '--token-label', hsm.label, '--login', '--pin', hsm.pin];
    execFileSync('pkcs11-tool', [...login, '--write-object', key, '--type', 'privkey', '--id', id, '--label', label, '--usage-sign', '--usage-decrypt'], { stdio: 'pipe' });
    execFileSync('pkcs11-tool', [...login, '--write-object', cert, '--type', 'cert', '--id', id, '--label', label], { stdio: 'pipe' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
