/**
 * The vault service (`cachet vault serve`): holds the user's opened vault in memory and answers
 * enrolled apps — list the credentials, sign, decrypt (RSA key transport, with PKCS#1 implicit
 * rejection as in the engine), derive an ECDH secret, deposit a PKCS#12 — so that private keys never
 * leave this process. Every access is written to the audit log. It starts locked (unless given the
 * passphrase), is unlocked and locked by its owner, and locks itself after the policy's idle time.
 *
 * By default it listens on a Unix socket in a 0700 directory of $CACHET_HOME (the socket itself 0600),
 * so only the user can connect; or on 127.0.0.1 with TLS, where the enrolment tokens and the owner's
 * control token are what keep other local users out.
 */
import { X509Certificate, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CachetError, isCachetError, httpStatusFor } from '../../../errors.js';
import type { DigestAlgorithm, SignatureScheme } from '../../../engine/keys.js';
import { readPfx } from '../../../engine/pkcs12/pfx-read.js';
import { certificateRole } from '../../../engine/pki/certificate-role.js';
import { CREDENTIAL_ROLES, servesUse, type CredentialRole, type NewCredential, type StoredCredential } from '../credential-store.js';
import { openFileCredentialStore, type FileCredentialStore } from '../file-credential-store.js';
import { vaultFilePath } from '../open-store.js';
import { identifyApp, requireScope, type AppScope } from './app-registry.js';
import { appendAudit } from './audit-log.js';
import { VaultServiceClient } from './client.js';
import { readEndpoint, removeEndpoint, writeEndpoint, type VaultEndpoint } from './endpoint.js';
import { vaultServicePaths } from './paths.js';
import {
  b64,
  errorToWire,
  paddingFromWire,
  PROTOCOL_PREFIX,
  toWireCredential,
  unb64,
  type DecryptRequest,
  type DepositRequest,
  type DeriveRequest,
  type SignRequest,
  type StatusResponse,
} from './wire.js';

/** A request body larger than this is refused (a PKCS#12 of 4 MiB in base64 fits). */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

const SCHEMES: readonly SignatureScheme[] = ['rsa-pkcs1', 'rsa-pss', 'ecdsa', 'ed25519'];
const DIGESTS: readonly DigestAlgorithm[] = ['sha256', 'sha384', 'sha512'];

export interface VaultServiceOptions {
  home: string;
  /** TLS on loopback instead of the Unix socket. `port` 0 picks a free port. */
  listen?: { host: string; port: number; certificatePem: string; keyPem: string };
  /** Seconds without an app's request after which the service locks itself. */
  idleSeconds: number;
  /** Opens the vault at start (else the owner runs `cachet vault unlock`). */
  passphrase?: string;
}

export interface RunningVaultService {
  endpoint: VaultEndpoint;
  /** "unix:PATH" or "https://HOST:PORT", for the user. */
  address: string;
  isLocked(): boolean;
  close(): Promise<void>;
}

function locked(): CachetError {
  return new CachetError('ERR_VAULT_LOCKED', 'the vault is locked: run "cachet vault unlock"');
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new CachetError('ERR_LIMIT_EXCEEDED', 'the request to the vault service is too large');
    parts.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch (error) {
    throw new CachetError('ERR_USAGE', 'the request to the vault service is not JSON', { cause: error });
  }
  // Every operation reads named fields: anything but an object (null, an array, a string) is refused here.
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new CachetError('ERR_USAGE', 'the request to the vault service is not a JSON object');
  return body;
}

function bearer(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | null)?.[name];
  if (typeof value !== 'string') throw new CachetError('ERR_USAGE', `the request lacks "${name}"`);
  return value;
}

/** A socket address that fits sun_path: in the home when it can, else in a fresh 0700 directory under /tmp. */
async function socketLocation(home: string): Promise<{ socket: string; cleanup: string | undefined }> {
  const paths = vaultServicePaths(home);
  if (Buffer.byteLength(paths.socket) <= MAX_SOCKET_PATH_BYTES) {
    await mkdir(paths.socketDir, { recursive: true, mode: 0o700 });
    const info = await lstat(paths.socketDir);
    if (!info.isDirectory() || (process.getuid && info.uid !== process.getuid())) {
      throw new CachetError('ERR_USAGE', `${paths.socketDir} is not a directory of yours; remove it and start the service again`);
    }
    await chmod(paths.socketDir, 0o700);
    return { socket: paths.socket, cleanup: undefined };
  }
  // The home's path is too long for a socket address: the endpoint file tells apps where it went.
  for (const base of [tmpdir(), '/tmp']) {
    const candidate = join(base, 'cachet-vault-XXXXXX', 'vault.sock');
    if (Buffer.byteLength(candidate) > MAX_SOCKET_PATH_BYTES) continue;
    const dir = await mkdtemp(join(base, 'cachet-vault-'));
    await chmod(dir, 0o700);
    return { socket: join(dir, 'vault.sock'), cleanup: dir };
  }
  throw new CachetError('ERR_USAGE', `the path of ${paths.socket} is longer than a Unix socket address allows (${MAX_SOCKET_PATH_BYTES} bytes), and so is the temporary directory's; use a shorter CACHET_HOME or TMPDIR, or --listen 127.0.0.1:PORT with TLS`);
}

/** Refuses to start beside a live service; clears what a dead one left behind. */
async function checkNotRunning(home: string): Promise<void> {
  let previous: VaultEndpoint;
  try {
    previous = await readEndpoint(home);
  } catch {
    return;
  }
  try {
    const client = await VaultServiceClient.connect(home);
    await client.owner('status');
  } catch (error) {
    if (isCachetError(error, 'ERR_VAULT_UNREACHABLE')) {
      // (The stale socket may sit in a directory that is no longer ours: then it is left alone.)
      if (previous.transport === 'unix') await rm(previous.socket, { force: true }).catch(() => undefined);
      await rm(vaultServicePaths(home).endpoint, { force: true });
      return;
    }
  }
  throw new CachetError('ERR_VAULT_SERVICE_RUNNING', `a vault service is already running for ${home} (process ${previous.pid}); stop it first`, { details: { pid: previous.pid } });
}

/**
 * Starts the service and announces it in the endpoint file.
 * @throws CachetError ERR_VAULT_SERVICE_RUNNING, ERR_USAGE (bad address), ERR_VAULT_BAD_PASSPHRASE.
 */
export async function startVaultService(options: VaultServiceOptions): Promise<RunningVaultService> {
  const { home } = options;
  await mkdir(home, { recursive: true, mode: 0o700 });
  await checkNotRunning(home);
  const control = randomBytes(32).toString('base64url');
  const vaultPath = vaultFilePath(home);
  let store: FileCredentialStore | undefined = options.passphrase === undefined ? undefined : await openFileCredentialStore(vaultPath, options.passphrase);
  let idleTimer: NodeJS.Timeout | undefined;

  function lock(): void {
    // Dropping the store drops the derived key and every decrypted record with it; JavaScript gives
    // no way to wipe the memory itself, but nothing here refers to it any more.
    store = undefined;
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
  }
  function touch(): void {
    if (idleTimer) clearTimeout(idleTimer);
    if (!store) return;
    idleTimer = setTimeout(lock, options.idleSeconds * 1000);
    idleTimer.unref();
  }
  touch();

  /**
   * The store re-reads the vault file when another program wrote it (a `cachet cert import` beside
   * the running service). Written under a new passphrase, it can no longer be read with the key held
   * here: the service locks, and the owner unlocks it with the new passphrase.
   */
  function lockedIfChangedElsewhere(error: unknown): unknown {
    if (isCachetError(error, 'ERR_VAULT_BAD_PASSPHRASE') && error.details.changedElsewhere === true) {
      lock();
      return new CachetError('ERR_VAULT_LOCKED', 'the vault passphrase was changed by another program, so the service has locked the vault: run "cachet vault unlock" with the new passphrase', { cause: error });
    }
    return error;
  }

  const opened = (): FileCredentialStore => {
    if (!store) throw locked();
    return store;
  };
  const find = async (id: string): Promise<StoredCredential> => {
    const found = (await opened().list()).find((c) => c.id === id);
    if (!found) throw new CachetError('ERR_CERT_NOT_FOUND', `the vault holds no credential ${id}`, { details: { id } });
    return found;
  };

  async function deposit(body: DepositRequest): Promise<{ deposited: Array<{ id: string; role: CredentialRole; subject: string; email: string[] }> }> {
    const target = opened();
    if (body.role !== undefined && !CREDENTIAL_ROLES.includes(body.role)) throw new CachetError('ERR_USAGE', 'the role must be "signing", "encryption" or "both"');
    const contents = await readPfx(unb64(field(body, 'pkcs12')), typeof body.password === 'string' ? body.password : '');
    if (contents.credentials.length === 0) throw new CachetError('ERR_PKCS12_NO_KEY', 'the PKCS#12 file holds no private key with its certificate');
    // Every role is decided before anything is written, so a refused deposit changes nothing.
    const planned: NewCredential[] = contents.credentials.map((credential) => {
      const { role, reasons } = certificateRole(credential.certificate);
      const subject = new X509Certificate(Buffer.from(credential.certificate)).subject.replace(/\n/g, ', ');
      if (role === 'none') throw new CachetError('ERR_CERT_ROLE_UNUSABLE', `the certificate of ${subject} cannot be used for S/MIME: ${reasons.join('; ')}`);
      if (role !== 'dual' && body.role !== undefined && body.role !== role) {
        throw new CachetError('ERR_CERT_ROLE_UNUSABLE', `the certificate of ${subject} can only be used for ${role} (${reasons.join('; ')}), not for ${body.role}`);
      }
      const chosen = role === 'dual' ? body.role : role;
      if (chosen === undefined) {
        throw new CachetError('ERR_CERT_ROLE_AMBIGUOUS', `the certificate of ${subject} is dual-purpose (${reasons.join('; ')}): choose its role with --role signing, encryption or both`, {
          details: { choices: ['signing', 'encryption'] },
        });
      }
      return {
        certificate: credential.certificate,
        chain: credential.chain,
        privateKeyPkcs8: credential.privateKeyPkcs8,
        role: chosen,
        // Keys deposited into the shared vault stay in it.
        exportable: false,
        ...(credential.friendlyName !== undefined ? { friendlyName: credential.friendlyName } : {}),
      };
    });
    const deposited = [];
    for (const credential of planned) {
      const stored = await target.add(credential, { replaceActive: body.replaceActive === true });
      deposited.push({ id: stored.id, role: stored.role, subject: stored.subject, email: stored.email });
    }
    return { deposited };
  }

  /** Key separation: a signing key is never used to decrypt or agree keys, as the mail client never does. */
  function onlyEncryption(credential: StoredCredential): void {
    if (!servesUse(credential, 'encryption')) {
      throw new CachetError('ERR_CERT_USAGE', `the credential ${credential.id.slice(0, 16)} is a ${credential.role} credential; the vault decrypts only with encryption credentials`, { details: { id: credential.id } });
    }
  }

  /** What an enrolled app asks for. Returns the answer and the credential it concerned (for the log). */
  async function appOperation(operation: string, body: unknown): Promise<{ answer: unknown; credential?: string }> {
    switch (operation) {
      case 'list':
        return { answer: { credentials: (await opened().list()).map(toWireCredential) } };
      case 'sign': {
        const request = body as SignRequest;
        const credential = await find(field(body, 'id'));
        if (!SCHEMES.includes(request.scheme) || !DIGESTS.includes(request.digest)) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'the signature scheme or digest is not one the vault service makes');
        if (!servesUse(credential, 'signing')) throw new CachetError('ERR_CERT_USAGE', `the credential ${credential.id.slice(0, 16)} is an encryption credential; the vault signs only with signing credentials`, { details: { id: credential.id } });
        const key = await opened().privateKey(credential.id);
        return { answer: { signature: b64(await key.sign(unb64(field(body, 'data')), request.scheme, request.digest)) }, credential: credential.id };
      }
      case 'decrypt': {
        const request = body as DecryptRequest;
        const credential = await find(field(body, 'id'));
        onlyEncryption(credential);
        const key = await opened().privateKey(credential.id);
        if (!key.decryptKeyTransport) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'this credential does not decrypt by key transport');
        return { answer: { key: b64(await key.decryptKeyTransport(unb64(field(body, 'encryptedKey')), paddingFromWire(request.padding))) }, credential: credential.id };
      }
      case 'derive': {
        const credential = await find(field(body, 'id'));
        onlyEncryption(credential);
        const key = await opened().privateKey(credential.id);
        if (!key.deriveSharedSecret) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'this credential does not agree keys (ECDH)');
        return { answer: { secret: b64(await key.deriveSharedSecret(unb64(field(body as DeriveRequest, 'originatorPublicKeySpki')))) }, credential: credential.id };
      }
      case 'deposit': {
        const result = await deposit(body as DepositRequest);
        return { answer: result, credential: result.deposited.map((d) => d.id).join(',') };
      }
      default:
        throw new CachetError('ERR_USAGE', `the vault service has no operation "${operation}"`);
    }
  }

  function requireVault(): void {
    if (!existsSync(vaultPath)) throw new CachetError('ERR_VAULT_NOT_FOUND', `there is no vault in ${home} yet: create it with "cachet vault init"`);
  }

  async function ownerOperation(operation: string, body: unknown): Promise<unknown> {
    switch (operation) {
      case 'status':
        return { locked: store === undefined, idleSeconds: options.idleSeconds, pid: process.pid } satisfies StatusResponse;
      case 'unlock':
        requireVault();
        store = await openFileCredentialStore(vaultPath, field(body, 'passphrase'));
        touch();
        return { locked: false };
      case 'lock':
        lock();
        return { locked: true };
      case 'passphrase': {
        // The old passphrase is checked against the file even when the vault is open: holding the
        // control token is not enough to change it.
        requireVault();
        const current = await openFileCredentialStore(vaultPath, field(body, 'old'));
        await current.changePassphrase(field(body, 'new'));
        if (store) store = current;
        return { changed: true };
      }
      default:
        throw new CachetError('ERR_USAGE', `the vault service has no operation "${operation}"`);
    }
  }

  const ownerOperations = new Set(['status', 'unlock', 'lock', 'passphrase']);
  /** The scope each app operation needs (an operation not named here is unknown: refused below). */
  const neededScope: Record<string, { scope: AppScope; doing: string }> = {
    list: { scope: 'use', doing: 'list the credentials' },
    sign: { scope: 'use', doing: 'sign' },
    decrypt: { scope: 'use', doing: 'decrypt' },
    derive: { scope: 'use', doing: 'decrypt (ECDH)' },
    deposit: { scope: 'deposit', doing: 'deposit credentials' },
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '';
    const operation = url.startsWith(PROTOCOL_PREFIX) ? url.slice(PROTOCOL_PREFIX.length) : '';
    let app: string | null = null;
    let credential: string | undefined;
    let answer: unknown;
    let status = 200;
    try {
      if (request.method !== 'POST') throw new CachetError('ERR_USAGE', 'the vault service answers POST requests only');
      // Who asks is settled from the header before the body is read: a caller without a token gets
      // nothing parsed or buffered on its behalf.
      const token = bearer(request);
      if (ownerOperations.has(operation)) {
        const given = Buffer.from(token ?? '');
        const expected = Buffer.from(control);
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          throw new CachetError('ERR_VAULT_ACCESS_DENIED', 'only the vault\'s owner may do this (the control token in the endpoint file is missing or wrong)');
        }
        app = 'owner';
        answer = await ownerOperation(operation, await readBody(request));
      } else {
        const identified = await identifyApp(home, token);
        app = identified.name;
        const body = await readBody(request);
        // The credential an enrolled app asked for is audited even when its scope refuses it.
        const id = (body as { id?: unknown }).id;
        if (typeof id === 'string') credential = id;
        const needed = Object.hasOwn(neededScope, operation) ? neededScope[operation] : undefined;
        if (needed) requireScope(identified, needed.scope, needed.doing);
        let result: Awaited<ReturnType<typeof appOperation>>;
        try {
          result = await appOperation(operation, body);
        } catch (error) {
          throw lockedIfChangedElsewhere(error);
        }
        credential = result.credential ?? credential;
        answer = result.answer;
        touch();
      }
    } catch (error) {
      const cachetError = isCachetError(error) ? error : new CachetError('ERR_INTERNAL', 'the vault service failed', { cause: error });
      // A revoked app is named in the log: the owner wants to see who still knocks.
      if (app === null && typeof cachetError.details.app === 'string') app = cachetError.details.app;
      status = httpStatusFor(cachetError.code);
      answer = errorToWire(cachetError);
    }
    const outcome = status === 200 ? 'ok' : (answer as ReturnType<typeof errorToWire>).error.code;
    if (operation !== 'status') {
      try {
        await appendAudit(home, { app, operation: (operation || url).slice(0, 64), ...(credential !== undefined ? { credential } : {}), outcome });
      } catch (error) {
        // An access that cannot be recorded is not answered: the audit log is the owner's only view.
        const refusal = new CachetError('ERR_OUTPUT_WRITE', `the vault service cannot write its audit log (${(error as NodeJS.ErrnoException).code ?? 'error'}) and answers nothing it cannot record`, { cause: error });
        status = httpStatusFor(refusal.code);
        answer = errorToWire(refusal);
      }
    }
    const bytes = Buffer.from(JSON.stringify(answer), 'utf8');
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
    response.end(bytes);
  }

  const listener = (request: IncomingMessage, response: ServerResponse) => {
    void handle(request, response);
  };
  let server: Server;
  let endpoint: VaultEndpoint;
  let cleanupDir: string | undefined;
  if (options.listen) {
    const { host, port } = options.listen;
    if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost') {
      throw new CachetError('ERR_USAGE', `the vault service listens on the loopback address only (127.0.0.1 or ::1), not on ${host}`);
    }
    server = createHttpsServer({ cert: options.listen.certificatePem, key: options.listen.keyPem, minVersion: 'TLSv1.2' }, listener);
    await listen(server, () => server.listen(port, host));
    const actualPort = (server.address() as { port: number }).port;
    endpoint = { transport: 'tls', pid: process.pid, host, port: actualPort, certificatePem: new X509Certificate(options.listen.certificatePem).toString(), control };
  } else {
    const location = await socketLocation(home);
    cleanupDir = location.cleanup;
    await rm(location.socket, { force: true });
    server = createHttpServer(listener);
    await listen(server, () => server.listen(location.socket));
    await chmod(location.socket, 0o600);
    endpoint = { transport: 'unix', pid: process.pid, socket: location.socket, control };
  }
  await writeEndpoint(home, endpoint);
  let closed = false;

  return {
    endpoint,
    address: endpoint.transport === 'unix' ? `unix:${endpoint.socket}` : `https://${endpoint.host}:${endpoint.port}`,
    isLocked: () => store === undefined,
    async close() {
      if (closed) return;
      closed = true;
      lock();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await removeEndpoint(home, process.pid);
      if (cleanupDir) await rm(cleanupDir, { recursive: true, force: true });
    },
  };
}

function listen(server: Server, start: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) =>
      reject(new CachetError('ERR_USAGE', `the vault service cannot listen: ${(error as NodeJS.ErrnoException).code ?? error.message}`, { cause: error }));
    server.once('error', failed);
    server.once('listening', () => {
      server.off('error', failed);
      // Once listening, an accept error (EMFILE under a flood of connections) is reported and
      // survived: without a listener Node would end the service, and every app's access with it.
      server.on('error', (error) => console.error(`cachet vault serve: ${(error as NodeJS.ErrnoException).code ?? error.message}`));
      resolve();
    });
    start();
  });
}
