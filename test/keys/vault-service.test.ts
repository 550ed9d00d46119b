/**
 * The shared vault service, run in this process on temporary homes: enrolled apps sign and decrypt
 * through it (openssl checks the signature and made the encrypted messages), private keys never cross
 * the socket, unenrolled and revoked apps are refused, every access is audited, the vault locks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, createVerify } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateDer, P12_PASSWORD, pkiBytes, pkiFile, privateKey } from '../helpers/pki.js';
import { runCachet } from '../helpers/cli.js';
import { isCachetError } from '../../src/errors.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';
import { signMessage } from '../../src/engine/smime/sign.js';
import { decryptCms } from '../../src/engine/smime/decrypt.js';
import { certificateFingerprint } from '../../src/engine/pki/certificate-info.js';
import { openFileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { vaultFilePath } from '../../src/adapters/keys/open-store.js';
import { openCredentialSource, type CredentialSource } from '../../src/adapters/keys/key-source.js';
import { enrolApp, listApps, revokeApp } from '../../src/adapters/keys/vault-service/app-registry.js';
import { readAudit } from '../../src/adapters/keys/vault-service/audit-log.js';
import { VaultServiceClient } from '../../src/adapters/keys/vault-service/client.js';
import { vaultServicePaths } from '../../src/adapters/keys/vault-service/paths.js';
import { startVaultService, type RunningVaultService } from '../../src/adapters/keys/vault-service/server.js';
import { b64 } from '../../src/adapters/keys/vault-service/wire.js';
import { waitFor } from '../helpers/wait.js';

const PASSPHRASE = 'vault pass phrase';
const never = async (): Promise<string> => {
  throw new Error('asked for a secret it does not need');
};
const dirs: string[] = [];
const services: RunningVaultService[] = [];
const newDir = (prefix = 'cachet-vsvc-') => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
async function newHome(base = newDir()): Promise<string> {
  await (await openFileCredentialStore(vaultFilePath(base), PASSPHRASE, { createIfMissing: true })).persist();
  return base;
}
after(async () => {
  for (const s of services) await s.close().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the vault service on a Unix socket', () => {
  let home: string;
  let service: RunningVaultService;
  let mailToken: string;
  let idpToken: string;
  const responses: string[] = [];
  let source: CredentialSource;
  const work = newDir('cachet-vsvc-work-');

  before(async () => {
    home = await newHome();
    mailToken = await enrolApp(home, 'mail');
    idpToken = await enrolApp(home, 'idp', ['deposit']);
    service = await startVaultService({ home, idleSeconds: 600 });
    services.push(service);
  });

  test('the socket, its directory and every service file are owner-only; the registry holds no token', () => {
    const paths = vaultServicePaths(home);
    assert.equal(service.endpoint.transport, 'unix');
    assert.equal(statSync(paths.socketDir).mode & 0o777, 0o700);
    assert.equal(statSync(paths.socket).mode & 0o777, 0o600);
    assert.equal(statSync(paths.endpoint).mode & 0o777, 0o600);
    assert.equal(statSync(paths.apps).mode & 0o777, 0o600);
    const registry = readFileSync(paths.apps, 'utf8');
    assert.ok(!registry.includes(mailToken) && !registry.includes(idpToken.slice(4)));
  });

  test('a locked service refuses apps with "run cachet vault unlock"; a wrong passphrase does not unlock it', async () => {
    assert.equal(service.isLocked(), true);
    await assert.rejects(
      openCredentialSource('sharedVault', { home, passphrase: never, pin: never, appToken: async () => mailToken }),
      (e) => isCachetError(e, 'ERR_VAULT_LOCKED') && /cachet vault unlock/.test((e as Error).message),
    );
    const owner = await VaultServiceClient.connect(home);
    await assert.rejects(owner.owner('unlock', { passphrase: 'wrong' }), (e) => isCachetError(e, 'ERR_VAULT_BAD_PASSPHRASE'));
    assert.equal(service.isLocked(), true);
    await owner.owner('unlock', { passphrase: PASSPHRASE });
    assert.equal(service.isLocked(), false);
  });

  test('owner operations need the control token, not an app token', async () => {
    // An app's token in the owner's place, on the raw protocol.
    const socketPath = (service.endpoint as { socket: string }).socket;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ socketPath, path: '/v1/lock', method: 'POST', headers: { authorization: `Bearer ${idpToken}`, 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end('{}');
    });
    assert.equal(answer.status, 403);
    assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'ERR_VAULT_ACCESS_DENIED');
    assert.equal(service.isLocked(), false);
  });

  test('deposit: a dual-purpose certificate needs a role; then the identity-provider app deposits alice, bob, carol', async () => {
    const client = await VaultServiceClient.connect(home);
    const p12 = (name: string) => b64(pkiBytes(`${name}.p12`));
    await assert.rejects(client.app('deposit', idpToken, { pkcs12: p12('alice'), password: P12_PASSWORD }), (e) => isCachetError(e, 'ERR_CERT_ROLE_AMBIGUOUS') && /--role/.test((e as Error).message));
    await assert.rejects(client.app('deposit', idpToken, { pkcs12: p12('alice'), password: 'wrong' }), (e) => isCachetError(e, 'ERR_PKCS12_BAD_PASSWORD'));
    await assert.rejects(client.app('deposit', idpToken, { pkcs12: p12('frank-enc'), password: P12_PASSWORD, role: 'signing' }), (e) => isCachetError(e, 'ERR_CERT_ROLE_UNUSABLE'));
    const alice = await client.app<{ deposited: Array<{ id: string; role: string }> }>('deposit', idpToken, { pkcs12: p12('alice'), password: P12_PASSWORD, role: 'signing' });
    assert.deepEqual(alice.deposited.map((d) => d.role), ['signing']);
    await client.app('deposit', idpToken, { pkcs12: p12('bob'), password: P12_PASSWORD, role: 'encryption' });
    await client.app('deposit', idpToken, { pkcs12: p12('carol'), password: P12_PASSWORD, role: 'encryption' });
  });

  test('scopes: the mail app ("use") may not deposit, the identity-provider app ("deposit") may not list or sign; each refusal is audited by name', async () => {
    const client = await VaultServiceClient.connect(home);
    await assert.rejects(
      client.app('deposit', mailToken, { pkcs12: b64(pkiBytes('frank-enc.p12')), password: P12_PASSWORD }),
      (e) => isCachetError(e, 'ERR_VAULT_ACCESS_DENIED') && /"mail" may not deposit credentials: that needs the scope "deposit"/.test((e as Error).message) && (e as { details: { scope?: string } }).details.scope === 'deposit',
    );
    await assert.rejects(client.app('list', idpToken), (e) => isCachetError(e, 'ERR_VAULT_ACCESS_DENIED') && /scope "use"/.test((e as Error).message));
    const alice = certificateFingerprint(certificateDer('alice'));
    await assert.rejects(client.app('sign', idpToken, { id: alice, data: b64(Buffer.from('x')), scheme: 'rsa-pkcs1', digest: 'sha256' }), (e) => isCachetError(e, 'ERR_VAULT_ACCESS_DENIED') && /scope "use"/.test((e as Error).message));
    // Nothing was deposited by the refused request.
    const listed = await client.app<{ credentials: Array<{ id: string }> }>('list', mailToken);
    assert.ok(!listed.credentials.some((c) => c.id === certificateFingerprint(certificateDer('frank-enc'))));
    const entries = await readAudit(home);
    assert.ok(entries.some((e) => e.app === 'mail' && e.operation === 'deposit' && e.outcome === 'ERR_VAULT_ACCESS_DENIED'), 'the refused deposit');
    assert.ok(entries.some((e) => e.app === 'idp' && e.operation === 'list' && e.outcome === 'ERR_VAULT_ACCESS_DENIED'), 'the refused list');
    assert.ok(entries.some((e) => e.app === 'idp' && e.operation === 'sign' && e.credential === alice && e.outcome === 'ERR_VAULT_ACCESS_DENIED'), 'the refused signature');
  });

  test('the mail app lists the credentials (no keys) and cannot add, remove or export', async () => {
    source = await openCredentialSource('sharedVault', { home, passphrase: never, pin: never, appToken: async () => mailToken, vaultClient: { onResponse: (_op, body) => responses.push(body) } });
    const list = await source.list();
    const byId = new Map(list.map((c) => [c.id, c]));
    assert.equal(byId.get(certificateFingerprint(certificateDer('alice')))?.role, 'signing');
    assert.equal(byId.get(certificateFingerprint(certificateDer('bob')))?.role, 'encryption');
    assert.equal(byId.get(certificateFingerprint(certificateDer('carol')))?.active, true);
    assert.equal(byId.get(certificateFingerprint(certificateDer('bob')))?.active, false, 'older encryption credentials stay, inactive');
    assert.ok(list.every((c) => c.exportable === false));
    const pkcs8 = privateKey('frank-enc').export({ format: 'der', type: 'pkcs8' });
    await assert.rejects(source.add({ certificate: certificateDer('frank-enc'), chain: [], privateKeyPkcs8: pkcs8, role: 'encryption' }), (e) => isCachetError(e, 'ERR_POLICY_FORBIDS') && /identity-provider/.test((e as Error).message));
    await assert.rejects(source.exportPrivateKey(certificateFingerprint(certificateDer('alice'))), (e) => isCachetError(e, 'ERR_POLICY_FORBIDS'));
    await assert.rejects(source.remove(certificateFingerprint(certificateDer('alice'))), (e) => isCachetError(e, 'ERR_POLICY_FORBIDS'));
  });

  test('the engine signs through the service; openssl cms -verify accepts the message', async () => {
    const signing = await source.active('signing');
    assert.ok(signing);
    const message = Buffer.from('Content-Type: text/plain\r\n\r\nSigned through the vault service.\r\n');
    const signed = await collectBytes(signMessage(toByteStream(message), { signers: [{ certificate: signing.certificate, key: await source.privateKey(signing.id) }], mode: 'detached' }));
    writeFileSync(join(work, 'signed.eml'), signed);
    const out = execFileSync('openssl', ['cms', '-verify', '-in', join(work, 'signed.eml'), '-CAfile', pkiFile('ca.pem')], { stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(out.toString(), /Signed through the vault service/);
    // An encryption credential does not sign.
    const bob = certificateFingerprint(certificateDer('bob'));
    await assert.rejects((await source.privateKey(bob)).sign(message, 'rsa-pkcs1', 'sha256'), (e) => isCachetError(e, 'ERR_CERT_USAGE'));
  });

  for (const [name, label, extra] of [
    ['bob', 'RSA PKCS#1 v1.5', []],
    ['bob', 'RSA-OAEP', ['-keyopt', 'rsa_padding_mode:oaep']],
    ['carol', 'ECDH', []],
  ] as const) {
    test(`the engine decrypts an openssl message (${label}) through the service`, async () => {
      const content = Buffer.from(`Content-Type: text/plain\r\n\r\nFor ${name} via ${label}.\r\n`);
      writeFileSync(join(work, 'plain'), content);
      const der = execFileSync('openssl', ['cms', '-encrypt', '-binary', '-aes256', '-in', join(work, 'plain'), '-outform', 'DER', '-recip', pkiFile(`${name}.pem`), ...extra]);
      const decryptors = await Promise.all((await source.list()).map(async (c) => ({ certificate: c.certificate, key: await source.privateKey(c.id) })));
      const parts: Buffer[] = [];
      await decryptCms(toByteStream(der), { write: (c: Uint8Array) => void parts.push(Buffer.from(c)) }, { decryptors });
      assert.deepEqual(Buffer.concat(parts), content);
    });
  }

  test('no private key bytes ever came back from the service', () => {
    assert.ok(responses.length >= 5, `answers seen: ${responses.length}`);
    const secrets: Buffer[] = [];
    for (const name of ['alice', 'bob', 'carol']) {
      const key = privateKey(name);
      secrets.push(key.export({ format: 'der', type: 'pkcs8' }));
      const jwk = key.export({ format: 'jwk' });
      for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) if (jwk[part]) secrets.push(Buffer.from(jwk[part]!, 'base64url'));
    }
    // Every string in every answer, as text and decoded from base64, searched for each secret.
    const strings: string[] = [];
    const walk = (value: unknown): void => {
      if (typeof value === 'string') strings.push(value);
      else if (value && typeof value === 'object') Object.values(value).forEach(walk);
    };
    responses.forEach((r) => walk(JSON.parse(r)));
    for (const s of strings) {
      const decoded = /^[A-Za-z0-9+/=]+$/.test(s) ? Buffer.from(s, 'base64') : Buffer.alloc(0);
      for (const secret of secrets) {
        assert.equal(decoded.indexOf(secret), -1, 'a private key component crossed the socket');
        assert.ok(!s.includes(secret.toString('hex')) && !s.includes(secret.toString('base64')));
      }
    }
  });

  test('unknown and revoked tokens are refused clearly', async () => {
    const client = await VaultServiceClient.connect(home);
    await assert.rejects(client.app('list', 'cvt_not-a-token'), (e) => isCachetError(e, 'ERR_VAULT_ACCESS_DENIED') && /not enrolled/.test((e as Error).message));
    await assert.rejects(client.app('list', ''), (e) => isCachetError(e, 'ERR_VAULT_ACCESS_DENIED'));
    await revokeApp(home, 'mail');
    await assert.rejects(source.list(), (e) => isCachetError(e, 'ERR_VAULT_ACCESS_DENIED') && /revoked/.test((e as Error).message));
    // Enrolling again gives a new token; the old one stays dead.
    const fresh = await enrolApp(home, 'mail');
    await assert.rejects(client.app('list', mailToken), (e) => isCachetError(e, 'ERR_VAULT_ACCESS_DENIED'));
    assert.ok((await client.app<{ credentials: unknown[] }>('list', fresh)).credentials.length >= 3);
    mailToken = fresh;
  });

  test('the audit log holds one owner-only JSON line per access: app, operation, credential, time, outcome', async () => {
    const entries = await readAudit(home);
    assert.equal(statSync(vaultServicePaths(home).audit).mode & 0o777, 0o600);
    const alice = certificateFingerprint(certificateDer('alice'));
    const carol = certificateFingerprint(certificateDer('carol'));
    const has = (predicate: (e: (typeof entries)[number]) => boolean, what: string) => assert.ok(entries.some(predicate), what);
    has((e) => e.app === 'mail' && e.operation === 'list' && e.outcome === 'ERR_VAULT_LOCKED', 'the refusal while locked');
    has((e) => e.app === 'owner' && e.operation === 'unlock' && e.outcome === 'ERR_VAULT_BAD_PASSPHRASE', 'the failed unlock');
    has((e) => e.app === 'idp' && e.operation === 'deposit' && e.credential === alice && e.outcome === 'ok', 'the deposit');
    has((e) => e.app === 'mail' && e.operation === 'sign' && e.credential === alice && e.outcome === 'ok', 'the signature');
    has((e) => e.app === 'mail' && e.operation === 'derive' && e.credential === carol && e.outcome === 'ok', 'the ECDH');
    has((e) => e.app === 'mail' && e.operation === 'decrypt' && e.outcome === 'ok', 'the RSA decryption');
    has((e) => e.app === null && e.operation === 'list' && e.outcome === 'ERR_VAULT_ACCESS_DENIED', 'the unknown token');
    has((e) => e.app === 'mail' && e.operation === 'list' && e.outcome === 'ERR_VAULT_ACCESS_DENIED', 'the revoked app, by name');
    assert.ok(entries.every((e) => !Number.isNaN(Date.parse(e.time))));
    const raw = readFileSync(vaultServicePaths(home).audit, 'utf8');
    assert.ok(!raw.includes(mailToken) && !raw.includes(idpToken) && !raw.includes(PASSPHRASE), 'no secret in the log');
  });

  test('a second service for the same home is refused; lock makes apps hear "locked"', async () => {
    await assert.rejects(startVaultService({ home, idleSeconds: 60 }), (e) => isCachetError(e, 'ERR_VAULT_SERVICE_RUNNING'));
    await (await VaultServiceClient.connect(home)).owner('lock');
    assert.equal(service.isLocked(), true);
    const client = await VaultServiceClient.connect(home);
    await assert.rejects(client.app('list', mailToken), (e) => isCachetError(e, 'ERR_VAULT_LOCKED'));
  });
});

test('an app enrolled before scopes existed (no scopes in the registry) keeps "use" and "deposit"', async () => {
  const home = await newHome();
  const token = 'cvt_legacy-token-of-an-app-enrolled-before-scopes';
  writeFileSync(
    vaultServicePaths(home).apps,
    JSON.stringify({ apps: { idp: { tokenSha256: createHash('sha256').update(token).digest('hex'), enrolledAt: '2026-01-01T00:00:00.000Z' } } }),
    { mode: 0o600 },
  );
  const service = await startVaultService({ home, idleSeconds: 60, passphrase: PASSPHRASE });
  services.push(service);
  const client = await VaultServiceClient.connect(home);
  await client.app('deposit', token, { pkcs12: b64(pkiBytes('frank-enc.p12')), password: P12_PASSWORD });
  assert.equal((await client.app<{ credentials: unknown[] }>('list', token)).credentials.length, 1);
  assert.deepEqual((await listApps(home)).map((a) => [a.name, a.scopes]), [['idp', ['use', 'deposit']]]);
  await service.close();
});

test('the service sees what "cachet cert import" wrote to the vault file while it was unlocked; a passphrase changed elsewhere locks it', async () => {
  const home = await newHome();
  const token = await enrolApp(home, 'mail');
  const service = await startVaultService({ home, idleSeconds: 60, passphrase: PASSPHRASE });
  services.push(service);
  const source = await openCredentialSource('sharedVault', { home, passphrase: never, pin: never, appToken: async () => token });
  assert.deepEqual(await source.list(), []);
  const imported = await runCachet(['cert', 'import', pkiFile('frank-sign.p12')], { env: { CACHET_HOME: home, CACHET_PASSWORD: P12_PASSWORD, CACHET_VAULT_PASSPHRASE: PASSPHRASE } });
  assert.equal(imported.status, 0, imported.stderr);
  const frank = certificateFingerprint(certificateDer('frank-sign'));
  assert.deepEqual((await source.list()).map((c) => [c.id, c.role]), [[frank, 'signing']], 'listed without a deposit or an unlock');
  // …and usable: the service signs with the key it has just read from the file.
  const data = Buffer.from('signed with a key imported beside the running service');
  const signature = await (await source.privateKey(frank)).sign(data, 'rsa-pkcs1', 'sha256');
  assert.ok(createVerify('sha256').update(data).verify(createPublicKey(privateKey('frank-sign')), Buffer.from(signature)));
  // Another program re-keys the vault file: the service can no longer read it, and says "unlock".
  await (await openFileCredentialStore(vaultFilePath(home), PASSPHRASE)).changePassphrase('another pass phrase');
  await assert.rejects(source.list(), (e) => isCachetError(e, 'ERR_VAULT_LOCKED') && /changed by another program/.test((e as Error).message));
  assert.equal(service.isLocked(), true);
  assert.equal(existsSync(`${vaultFilePath(home)}.failures`), false, 'no wrong passphrase was counted');
  await (await VaultServiceClient.connect(home)).owner('unlock', { passphrase: 'another pass phrase' });
  assert.equal((await source.list()).length, 1);
  await service.close();
});

test('the service locks itself after the idle time', async () => {
  const home = await newHome();
  const token = await enrolApp(home, 'mail');
  const service = await startVaultService({ home, idleSeconds: 1, passphrase: PASSPHRASE });
  services.push(service);
  const client = await VaultServiceClient.connect(home);
  assert.deepEqual(await client.app('list', token), { credentials: [] });
  await waitFor(() => service.isLocked(), 'the service locked after 1 s without use');
  await assert.rejects(client.app('list', token), (e) => isCachetError(e, 'ERR_VAULT_LOCKED'));
  await service.close();
  await assert.rejects(VaultServiceClient.connect(home), (e) => isCachetError(e, 'ERR_VAULT_UNREACHABLE') && /cachet vault serve/.test((e as Error).message));
});

test('what a killed service left behind (endpoint file, socket) is noticed and cleared by the next one', async () => {
  const home = await newHome();
  const paths = vaultServicePaths(home);
  mkdirSync(paths.socketDir, { mode: 0o700 });
  writeFileSync(paths.socket, '');
  writeFileSync(paths.endpoint, JSON.stringify({ transport: 'unix', pid: 999999, socket: paths.socket, control: 'x' }), { mode: 0o600 });
  await assert.rejects((await VaultServiceClient.connect(home)).app('list', 'cvt_x'), (e) => isCachetError(e, 'ERR_VAULT_UNREACHABLE') && /cachet vault serve/.test((e as Error).message));
  const service = await startVaultService({ home, idleSeconds: 60 });
  services.push(service);
  assert.equal((await (await VaultServiceClient.connect(home)).owner<{ locked: boolean }>('status')).locked, true);
  await service.close();
});

test('an open shared-vault source finds the service again after it restarts', async () => {
  const home = await newHome();
  const token = await enrolApp(home, 'mail');
  const first = await startVaultService({ home, idleSeconds: 60, passphrase: PASSPHRASE });
  services.push(first);
  const source = await openCredentialSource('sharedVault', { home, passphrase: never, pin: never, appToken: async () => token });
  await first.close();
  await assert.rejects(source.list(), (e) => isCachetError(e, 'ERR_VAULT_UNREACHABLE'));
  const second = await startVaultService({ home, idleSeconds: 60, passphrase: PASSPHRASE });
  services.push(second);
  assert.deepEqual(await source.list(), []);
  await second.close();
});

test('an access that cannot be written to the audit log is not answered', async () => {
  const home = await newHome();
  const token = await enrolApp(home, 'mail');
  mkdirSync(vaultServicePaths(home).audit); // a directory where the log should be: every append fails
  const service = await startVaultService({ home, idleSeconds: 60, passphrase: PASSPHRASE });
  services.push(service);
  await assert.rejects((await VaultServiceClient.connect(home)).app('list', token), (e) => isCachetError(e, 'ERR_OUTPUT_WRITE') && /audit log/.test((e as Error).message));
  await service.close();
});

test('a home too long for a socket address: the socket goes to a private temporary directory', async () => {
  const deep = join(newDir(), 'a'.repeat(60), 'b'.repeat(60));
  mkdirSync(deep, { recursive: true });
  const home = await newHome(deep);
  const token = await enrolApp(home, 'mail');
  const service = await startVaultService({ home, idleSeconds: 60, passphrase: PASSPHRASE });
  services.push(service);
  assert.equal(service.endpoint.transport, 'unix');
  const socket = (service.endpoint as { socket: string }).socket;
  assert.ok(!socket.startsWith(home) && Buffer.byteLength(socket) <= 107, socket);
  assert.equal(statSync(join(socket, '..')).mode & 0o777, 0o700);
  assert.deepEqual(await (await VaultServiceClient.connect(home)).app('list', token), { credentials: [] });
  await service.close();
});

test('TLS on 127.0.0.1: apps pin the served certificate; a non-loopback address is refused', async () => {
  const home = await newHome();
  const token = await enrolApp(home, 'mail');
  const listen = { host: '127.0.0.1', port: 0, certificatePem: readFileSync(pkiFile('localhost.pem'), 'utf8'), keyPem: readFileSync(pkiFile('localhost.key'), 'utf8') };
  await assert.rejects(startVaultService({ home, idleSeconds: 60, listen: { ...listen, host: '0.0.0.0' } }), (e) => isCachetError(e, 'ERR_USAGE') && /loopback/.test((e as Error).message));
  const service = await startVaultService({ home, idleSeconds: 60, passphrase: PASSPHRASE, listen });
  services.push(service);
  assert.match(service.address, /^https:\/\/127\.0\.0\.1:\d+$/);
  const source = await openCredentialSource('sharedVault', { home, passphrase: never, pin: never, appToken: async () => token });
  assert.deepEqual(await source.list(), []);
  // A different certificate in the endpoint file (a stand-in service): refused before the token is sent.
  const paths = vaultServicePaths(home);
  const endpoint = JSON.parse(readFileSync(paths.endpoint, 'utf8')) as Record<string, unknown>;
  writeFileSync(paths.endpoint, JSON.stringify({ ...endpoint, certificatePem: readFileSync(pkiFile('alice.pem'), 'utf8') }));
  await assert.rejects((await VaultServiceClient.connect(home)).app('list', token), (e) => isCachetError(e, 'ERR_VAULT_UNREACHABLE') && /certificate/.test((e as Error).message));
  await service.close();
});
