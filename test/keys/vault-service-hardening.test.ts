/**
 * The vault service under hostile or careless callers: key separation (only encryption credentials
 * decrypt or agree keys), malformed requests answered with a usage error (never an internal failure,
 * never a crash), and an endpoint file left by a killed service that names a socket someone else now
 * controls: nothing — no token, no passphrase — is sent there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateDer, P12_PASSWORD, pkiBytes } from '../helpers/pki.js';
import { isCachetError } from '../../src/errors.js';
import { certificateFingerprint } from '../../src/engine/pki/certificate-info.js';
import { openFileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { vaultFilePath } from '../../src/adapters/keys/open-store.js';
import { enrolApp } from '../../src/adapters/keys/vault-service/app-registry.js';
import { VaultServiceClient } from '../../src/adapters/keys/vault-service/client.js';
import { vaultServicePaths } from '../../src/adapters/keys/vault-service/paths.js';
import { startVaultService, type RunningVaultService } from '../../src/adapters/keys/vault-service/server.js';
import { b64 } from '../../src/adapters/keys/vault-service/wire.js';

const PASSPHRASE = 'vault pass phrase';
const dirs: string[] = [];
const services: RunningVaultService[] = [];
const servers: Server[] = [];
const newDir = (prefix = 'cachet-vsh-') => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
async function newHome(): Promise<string> {
  const home = newDir();
  await (await openFileCredentialStore(vaultFilePath(home), PASSPHRASE, { createIfMissing: true })).persist();
  return home;
}
after(async () => {
  for (const s of services) await s.close().catch(() => undefined);
  for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** One raw request on the service's socket, as a careless or hostile app would send it. */
function raw(socketPath: string, operation: string, token: string, body: string): Promise<{ status: number; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath, path: `/v1/${operation}`, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(text) as { error?: { code: string } }).error?.code }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('an unlocked service with a signing and an encryption credential of each kind', () => {
  let home: string;
  let token: string;
  let socket: string;
  const alice = certificateFingerprint(certificateDer('alice')); // RSA, deposited for signing
  const bob = certificateFingerprint(certificateDer('bob')); // RSA, for encryption
  const carol = certificateFingerprint(certificateDer('carol')); // P-256, for signing
  const erin = certificateFingerprint(certificateDer('erin')); // P-384, for encryption

  before(async () => {
    home = await newHome();
    token = await enrolApp(home, 'both', ['use', 'deposit']);
    const service = await startVaultService({ home, idleSeconds: 600, passphrase: PASSPHRASE });
    services.push(service);
    socket = (service.endpoint as { socket: string }).socket;
    const client = await VaultServiceClient.connect(home);
    for (const [name, role] of [['alice', 'signing'], ['bob', 'encryption'], ['carol', 'signing'], ['erin', 'encryption']] as const) {
      await client.app('deposit', token, { pkcs12: b64(pkiBytes(`${name}.p12`)), password: P12_PASSWORD, role, replaceActive: true });
    }
  });

  test('a signing credential neither decrypts nor agrees keys; an encryption credential does both', async () => {
    const client = await VaultServiceClient.connect(home);
    const encryptedKey = b64(Buffer.alloc(256, 7));
    const padding = { scheme: 'rsa-pkcs1', expectedLength: 32 };
    await assert.rejects(client.app('decrypt', token, { id: alice, encryptedKey, padding }), (e) => isCachetError(e, 'ERR_CERT_USAGE') && /signing credential/.test((e as Error).message));
    const p256 = b64(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }));
    await assert.rejects(client.app('derive', token, { id: carol, originatorPublicKeySpki: p256 }), (e) => isCachetError(e, 'ERR_CERT_USAGE'));
    // The encryption credentials still work (a bad ciphertext gives a pseudo-random key, no error).
    const answer = await client.app<{ key: string }>('decrypt', token, { id: bob, encryptedKey, padding });
    assert.equal(Buffer.from(answer.key, 'base64').length, 32);
    const again = await client.app<{ key: string }>('decrypt', token, { id: bob, encryptedKey, padding });
    assert.equal(again.key, answer.key, 'implicit rejection is deterministic: the same bad ciphertext, the same key');
    const originator = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' });
    const secret = await client.app<{ secret: string }>('derive', token, { id: erin, originatorPublicKeySpki: b64(originator) });
    assert.equal(Buffer.from(secret.secret, 'base64').length, 48);
  });

  test('malformed requests get ERR_USAGE, not an internal failure; the service keeps answering', async () => {
    const cases: Array<[string, string]> = [
      ['list', 'null'],
      ['sign', 'null'],
      ['sign', '[1,2]'],
      ['decrypt', JSON.stringify({ id: bob, encryptedKey: 'AAAA', padding: { scheme: 'rsa-oaep', hash: 'sha256', label: 5 } })],
      ['decrypt', JSON.stringify({ id: bob, encryptedKey: 'AAAA', padding: { scheme: 'rsa-oaep', hash: 'sha256', label: { a: 1 } } })],
      ['decrypt', JSON.stringify({ id: bob, encryptedKey: 'AAAA', padding: 'rsa-pkcs1' })],
      ['sign', JSON.stringify({ id: alice, data: ['x'], scheme: 'rsa-pkcs1', digest: 'sha256' })],
      ['deposit', '"a string"'],
    ];
    for (const [operation, body] of cases) {
      const answer = await raw(socket, operation, token, body);
      assert.deepEqual([answer.status, answer.code], [400, 'ERR_USAGE'], `${operation} ${body}`);
    }
    assert.equal((await raw(socket, 'list', token, '{}')).status, 200);
  });

  test('a caller without a valid token is refused before its body is read: no parse error, no size error, only "denied"', async () => {
    for (const [operation, body] of [['list', 'not json'], ['sign', 'x'.repeat(9 * 1024 * 1024)], ['unlock', '{']] as const) {
      const answer = await raw(socket, operation, 'cvt_unknown', body);
      assert.deepEqual([answer.status, answer.code], [403, 'ERR_VAULT_ACCESS_DENIED'], operation);
    }
    assert.equal((await raw(socket, 'list', token, '{}')).status, 200, 'the service keeps answering');
  });
});

describe('an endpoint file left by a killed service, naming a socket another user now controls', () => {
  let home: string;
  let received: string[];
  let socket: string;

  before(async () => {
    home = await newHome();
    // What another local user can make once a /tmp directory of a dead service has been cleaned
    // away: a directory of the same name that others may enter, with a socket that listens.
    const foreign = newDir('cachet-vault-');
    chmodSync(foreign, 0o777);
    socket = join(foreign, 'vault.sock');
    received = [];
    const impostor = createServer((request, response) => {
      let body = '';
      request.on('data', (c: Buffer) => (body += c.toString()));
      request.on('end', () => {
        received.push(`${request.headers.authorization ?? ''} ${body}`);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"locked":false,"idleSeconds":60,"pid":1}');
      });
    });
    servers.push(impostor);
    await new Promise<void>((resolve) => impostor.listen(socket, resolve));
    chmodSync(socket, 0o777);
    writeFileSync(vaultServicePaths(home).endpoint, JSON.stringify({ transport: 'unix', pid: 999999, socket, control: 'old-control-token' }), { mode: 0o600 });
  });

  test('neither the owner\'s unlock (with the passphrase) nor an app\'s request reaches it', async () => {
    const client = await VaultServiceClient.connect(home);
    await assert.rejects(client.owner('unlock', { passphrase: PASSPHRASE }), (e) => isCachetError(e, 'ERR_VAULT_UNREACHABLE') && /private directory/.test((e as Error).message));
    await assert.rejects(client.app('list', 'cvt_the-app-token'), (e) => isCachetError(e, 'ERR_VAULT_UNREACHABLE'));
    assert.deepEqual(received, [], 'nothing was sent to the impostor');
  });

  test('a new service is not fooled into thinking one runs: it starts and replaces the endpoint', async () => {
    const service = await startVaultService({ home, idleSeconds: 60 });
    services.push(service);
    assert.notEqual((service.endpoint as { socket: string }).socket, socket);
    assert.equal((await (await VaultServiceClient.connect(home)).owner<{ locked: boolean }>('status')).locked, true);
    assert.deepEqual(received, [], 'nothing was sent to the impostor');
    await service.close();
  });

  test('a symlink in place of the socket directory is refused, even to a private directory', async () => {
    // The link sits where others could swap it after any check: only a real directory counts.
    const target = newDir('cachet-vsh-real-');
    chmodSync(target, 0o700);
    const decoy = createServer((request, response) => {
      received.push(`${request.headers.authorization ?? ''}`);
      response.end('{}');
    });
    servers.push(decoy);
    await new Promise<void>((resolve) => decoy.listen(join(target, 'vault.sock'), resolve));
    const link = join(newDir('cachet-vsh-link-'), 'dir');
    symlinkSync(target, link);
    writeFileSync(vaultServicePaths(home).endpoint, JSON.stringify({ transport: 'unix', pid: 999999, socket: join(link, 'vault.sock'), control: 'c' }), { mode: 0o600 });
    await assert.rejects((await VaultServiceClient.connect(home)).app('list', 'cvt_the-app-token'), (e) => isCachetError(e, 'ERR_VAULT_UNREACHABLE') && /private directory/.test((e as Error).message));
    assert.deepEqual(received, []);
  });
});
