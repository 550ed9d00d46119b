/**
 * The app's side of the vault service: finds it through the endpoint file, sends one JSON request
 * per operation and turns error answers back into CachetErrors with the service's code and message.
 * Over TLS the service's certificate is pinned to the one named in the (owner-only) endpoint file,
 * checked before a single byte of the request (and its token) is sent.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CachetError } from '../../../errors.js';
import { notRunning, readEndpoint, type VaultEndpoint } from './endpoint.js';
import { errorFromWire, PROTOCOL_PREFIX, type AppOperation, type OwnerOperation } from './wire.js';

/** Answers larger than this are not the vault service's. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export interface VaultClientOptions {
  /** Sees every answer's raw body: for tests that check no key material crosses the socket. */
  onResponse?: (operation: string, body: string) => void;
}

export class VaultServiceClient {
  private constructor(
    readonly home: string,
    private readonly options: VaultClientOptions,
  ) {}

  /**
   * A client for the service of `home`. Every request reads the endpoint file again, so a long-lived
   * client finds a restarted service where it now is.
   * @throws CachetError ERR_VAULT_UNREACHABLE when no service has announced itself for `home`.
   */
  static async connect(home: string, options: VaultClientOptions = {}): Promise<VaultServiceClient> {
    await readEndpoint(home);
    return new VaultServiceClient(home, options);
  }

  /** An operation of an enrolled app. */
  app<T>(operation: AppOperation, token: string, body: object = {}): Promise<T> {
    return this.send<T>(operation, token, body);
  }

  /** An operation of the vault's owner (unlock, lock, passphrase, status). */
  owner<T>(operation: OwnerOperation, body: object = {}): Promise<T> {
    return this.send<T>(operation, (endpoint) => endpoint.control, body);
  }

  private async send<T>(operation: string, token: string | ((endpoint: VaultEndpoint) => string), body: object): Promise<T> {
    const endpoint = await readEndpoint(this.home);
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    const bearer = typeof token === 'string' ? token : token(endpoint);
    const headers = { 'content-type': 'application/json', 'content-length': String(payload.length), authorization: `Bearer ${bearer}` };
    const path = `${PROTOCOL_PREFIX}${operation}`;
    let request: ClientRequest;
    if (endpoint.transport === 'unix') {
      await this.checkPrivateSocket(endpoint.socket);
      request = httpRequest({ socketPath: endpoint.socket, path, method: 'POST', headers, agent: false });
    } else {
      const socket = await this.pinnedTlsSocket(endpoint);
      request = httpRequest({ host: endpoint.host, port: endpoint.port, path, method: 'POST', headers, createConnection: () => socket });
      // (No `agent` here: Node uses createConnection only when no agent is given.)
    }
    const response = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      request.on('error', (error) => reject(this.transportError(error)));
      request.on('response', (res: IncomingMessage) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy();
            reject(new CachetError('ERR_LIMIT_EXCEEDED', 'the vault service sent an answer far too large'));
            return;
          }
          parts.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
        res.on('error', (error) => reject(this.transportError(error)));
      });
      request.end(payload);
    });
    this.options.onResponse?.(operation, response.text);
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.text);
    } catch {
      throw new CachetError('ERR_VAULT_UNREACHABLE', `what answers at the vault service's address is not the vault service (HTTP ${response.status})`);
    }
    if (response.status !== 200) throw errorFromWire(parsed);
    return parsed as T;
  }

  /**
   * The socket must be the user's own, in a directory only the user can enter — what the service
   * makes (a 0700 directory in the home, or a fresh mkdtemp one under /tmp). An endpoint file left by
   * a killed service may name a /tmp directory that has since been cleaned away and re-created by
   * another local user, listening there: the token (and, for `vault unlock`, the passphrase) must
   * not be sent to that socket. Checked before connecting; inside a directory of ours that no one
   * else can write, the socket cannot be swapped afterwards.
   */
  private async checkPrivateSocket(socket: string): Promise<void> {
    const uid = process.getuid?.();
    let directory;
    let entry;
    try {
      directory = await lstat(dirname(socket));
      entry = await lstat(socket);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notRunning(this.home, 'it stopped without removing its endpoint file');
      throw this.transportError(error as Error);
    }
    const ours = (info: { uid: number }) => uid === undefined || info.uid === uid;
    if (!directory.isDirectory() || !ours(directory) || (directory.mode & 0o077) !== 0 || !ours(entry)) {
      throw notRunning(this.home, `${socket} is not in a private directory of yours, so it is not the vault service's; nothing was sent to it`);
    }
    if (!entry.isSocket()) throw notRunning(this.home, 'it stopped without removing its endpoint file');
  }

  private async pinnedTlsSocket(endpoint: Extract<VaultEndpoint, { transport: 'tls' }>): Promise<TLSSocket> {
    const pinned = new X509Certificate(endpoint.certificatePem).raw;
    // The chain is not checked against a CA: the certificate itself is pinned (it came from the
    // owner-only endpoint file the service wrote), which is stronger than any CA check.
    const socket = tlsConnect({ host: endpoint.host, port: endpoint.port, rejectUnauthorized: false, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', (error) => reject(this.transportError(error)));
    });
    const presented = socket.getPeerX509Certificate()?.raw;
    if (!presented || !presented.equals(pinned)) {
      socket.destroy();
      throw new CachetError('ERR_VAULT_UNREACHABLE', `the service at ${endpoint.host}:${endpoint.port} does not present the vault service's certificate; refusing to talk to it`);
    }
    return socket;
  }

  private transportError(error: Error): CachetError {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE') return notRunning(this.home, `it stopped without removing ${code === 'ENOENT' ? 'its endpoint file' : 'its address'}`);
    return new CachetError('ERR_VAULT_UNREACHABLE', `the vault service cannot be reached: ${error.message}`, { cause: error });
  }
}
