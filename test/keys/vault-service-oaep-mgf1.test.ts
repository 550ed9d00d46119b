/**
 * RSA-OAEP with an MGF1 digest of its own (SHA-256 with MGF1-SHA-1, as Java and BouncyCastle write
 * it) through the vault service, run in this process: the engine decrypts an openssl-made message
 * with bob's key held by the service; the MGF1 digest crosses the wire under its own padding scheme,
 * so a service that does not know it refuses by name, and this one refuses an MGF1 digest slipped
 * into a plain "rsa-oaep" request rather than decoding with the wrong MGF1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateDer, P12_PASSWORD, pkiBytes, pkiFile } from '../helpers/pki.js';
import { isCachetError } from '../../src/errors.js';
import { toByteStream } from '../../src/engine/stream-types.js';
import { decryptCms } from '../../src/engine/smime/decrypt.js';
import { certificateFingerprint } from '../../src/engine/pki/certificate-info.js';
import { openFileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { vaultFilePath } from '../../src/adapters/keys/open-store.js';
import { openCredentialSource, type CredentialSource } from '../../src/adapters/keys/key-source.js';
import { enrolApp } from '../../src/adapters/keys/vault-service/app-registry.js';
import { VaultServiceClient } from '../../src/adapters/keys/vault-service/client.js';
import { startVaultService, type RunningVaultService } from '../../src/adapters/keys/vault-service/server.js';
import { b64, paddingFromWire, paddingToWire } from '../../src/adapters/keys/vault-service/wire.js';

const PASSPHRASE = 'vault pass phrase';
const MESSAGE = 'Content-Type: text/plain\r\n\r\nSHA-256 with MGF1-SHA-1 through the vault service.\r\n';
const never = async (): Promise<string> => {
  throw new Error('asked for a secret it does not need');
};

describe('RSA-OAEP with a separate MGF1 digest through the vault service', () => {
  let home: string | undefined;
  let service: RunningVaultService | undefined;
  let mailToken: string;
  let source: CredentialSource;
  const bob = certificateFingerprint(certificateDer('bob'));

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'cachet-vsvc-mgf1-'));
    await (await openFileCredentialStore(vaultFilePath(home), PASSPHRASE, { createIfMissing: true })).persist();
    mailToken = await enrolApp(home, 'mail');
    const idpToken = await enrolApp(home, 'idp', ['deposit']);
    service = await startVaultService({ home, idleSeconds: 600, passphrase: PASSPHRASE });
    const client = await VaultServiceClient.connect(home);
    await client.app('deposit', idpToken, { pkcs12: b64(pkiBytes('bob.p12')), password: P12_PASSWORD, role: 'encryption' });
    source = await openCredentialSource('sharedVault', { home, passphrase: never, pin: never, appToken: async () => mailToken });
  });
  after(async () => {
    await service?.close().catch(() => undefined);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('the wire form: plain "rsa-oaep" when MGF1 uses the OAEP digest, "rsa-oaep-mgf1" otherwise; both round-trip', () => {
    assert.deepEqual(paddingToWire({ scheme: 'rsa-oaep', hash: 'sha256' }), { scheme: 'rsa-oaep', hash: 'sha256' });
    assert.deepEqual(paddingToWire({ scheme: 'rsa-oaep', hash: 'sha256', mgf1Hash: 'sha256' }), { scheme: 'rsa-oaep', hash: 'sha256' });
    const wire = paddingToWire({ scheme: 'rsa-oaep', hash: 'sha256', mgf1Hash: 'sha1', label: new Uint8Array([1, 2]) });
    assert.deepEqual(wire, { scheme: 'rsa-oaep-mgf1', hash: 'sha256', mgf1Hash: 'sha1', label: 'AQI=' });
    assert.deepEqual(paddingFromWire(wire), { scheme: 'rsa-oaep', hash: 'sha256', mgf1Hash: 'sha1', label: new Uint8Array([1, 2]) });
  });

  test('the engine decrypts an openssl message (SHA-256, MGF1-SHA-1) with the key held by the service', async () => {
    const der = execFileSync(
      'openssl',
      ['cms', '-encrypt', '-binary', '-aes256', '-outform', 'DER', '-recip', pkiFile('bob.pem'), '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha1'],
      { input: MESSAGE },
    );
    const parts: Buffer[] = [];
    const report = await decryptCms(toByteStream(der), { write: (c: Uint8Array) => void parts.push(Buffer.from(c)) }, { decryptors: [{ certificate: certificateDer('bob'), key: await source.privateKey(bob) }] });
    assert.equal(report.keyManagement, 'rsa-oaep');
    assert.equal(Buffer.concat(parts).toString('utf8'), MESSAGE);
  });

  test('an MGF1 digest inside a plain "rsa-oaep" request, or an unknown one, is refused — never decoded with the wrong MGF1', async () => {
    const client = await VaultServiceClient.connect(home!);
    const encryptedKey = b64(new Uint8Array(256));
    for (const padding of [
      { scheme: 'rsa-oaep', hash: 'sha256', mgf1Hash: 'sha1' },
      { scheme: 'rsa-oaep-mgf1', hash: 'sha256', mgf1Hash: 'md5' },
      { scheme: 'rsa-oaep-mgf1', hash: 'sha256' },
    ]) {
      await assert.rejects(client.app('decrypt', mailToken, { id: bob, encryptedKey, padding }), (e: unknown) => isCachetError(e, 'ERR_USAGE') && /no known padding/.test((e as Error).message), JSON.stringify(padding));
    }
  });
});
