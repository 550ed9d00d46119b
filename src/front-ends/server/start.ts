/**
 * `cachet server`'s composition root: from the configuration it builds the state stores, the key
 * custody, the sign-in, the mail service and the web app, and serves them. Every piece of state a
 * request depends on (web sessions, sign-in throttling, users, wrapped vault keys) lives under
 * state.directory behind an interface (FileSessionStore, FileThrottleStore, the users/ tree,
 * FileWrappedSecretStore), so another instance on the same files sees the same thing; what a process
 * keeps in memory (an opened vault, the IMAP connection, the mail password) is a cache it rebuilds
 * from the session's secrets, sealed in the session store under the key only the cookie carries.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import type { AccountConfig } from '../../adapters/mail/account-config.js';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { CachetError } from '../../errors.js';
import { loadPolicyFile } from '../../adapters/policy/policy.js';
import { ClientMailService } from '../web/client-mail-service.js';
import { createWebApp, type WebAppOptions } from '../web/app.js';
import type { SessionVariables } from '../web/middleware/session.js';
import type { ServerConfig } from './config.js';
import { FileSessionStore } from './file-session-store.js';
import { clientAddressOf, listen, type RunningListener } from './listener.js';
import type { ServerLog } from './log.js';
import { createSignIn, imapPasswordCheck, ldapPasswordCheck, localPasswordCheck, type PasswordCheck } from './sign-in.js';
import { FileThrottleStore, SignInThrottle } from './throttle.js';
import { FileWrappedSecretStore, readKeyEncryptionKey, UserKeyCustody } from './user-keys.js';

export interface RunningServer {
  url: string;
  reloadTls(): Promise<void>;
  /** Graceful: no new requests, those in flight finish (within limits.shutdownGraceSeconds). */
  shutdown(): Promise<void>;
}

/**
 * The policy file must be the service account's alone: a file others may write is a policy others set.
 * @throws CachetError ERR_POLICY_INVALID naming the file.
 */
export async function checkPolicyFile(file: string): Promise<void> {
  const info = await stat(file).catch((error: unknown) => {
    throw new CachetError('ERR_INPUT_READ', `cannot read the policy file ${file}: ${(error as Error).message}`, { cause: error });
  });
  if ((info.mode & 0o022) !== 0) throw new CachetError('ERR_POLICY_INVALID', `the policy file ${file} may be written by others (mode ${(info.mode & 0o777).toString(8)}); only its owner may write it (chmod go-w)`);
  await loadPolicyFile({ home: '/nonexistent', policyFile: file });
}

/**
 * The files the configuration names (CA certificates, the directory's bind password), read once when
 * the server starts: a wrong path is the administrator's mistake, said at start as such and naming
 * the key — not an "unavailable" at every sign-in later.
 * @throws CachetError ERR_POLICY_INVALID naming the key and the file.
 */
async function readConfiguredFile(path: string, key: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CachetError('ERR_POLICY_INVALID', `${key}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error, details: { key, file: path } });
  }
}

interface ConfiguredFiles {
  imapCa?: string;
  smtpCa?: string;
  directoryCa?: string;
  searchBindPassword?: string;
}

/** Only the files the configured sign-in method uses: a leftover key of another method is not read. */
async function readConfiguredFiles(config: ServerConfig): Promise<ConfiguredFiles> {
  const files: ConfiguredFiles = {};
  const { imap, smtp } = config.mail;
  if (config.signIn.method === 'imap') {
    if (imap?.ca) files.imapCa = await readConfiguredFile(imap.ca, 'mail.imap.ca');
    if (smtp?.ca) files.smtpCa = await readConfiguredFile(smtp.ca, 'mail.smtp.ca');
  }
  const directory = config.directory;
  if (config.signIn.method === 'ldap' && directory) {
    if (directory.ca) files.directoryCa = await readConfiguredFile(directory.ca, 'directory.ca');
    if (directory.searchBindDn && directory.searchBindPasswordFile) {
      files.searchBindPassword = (await readConfiguredFile(directory.searchBindPasswordFile, 'directory.searchBindPasswordFile')).trim();
    }
  }
  return files;
}

function passwordCheck(config: ServerConfig, home: string, files: ConfiguredFiles): PasswordCheck {
  if (config.signIn.method === 'imap') return imapPasswordCheck(config.mail.imap!, files.imapCa);
  if (config.signIn.method === 'ldap') return ldapPasswordCheck(config.directory!, { ca: files.directoryCa, searchBindPassword: files.searchBindPassword });
  return localPasswordCheck(home);
}

/**
 * Signed in with their mail password, a user reads and sends with it on the organisation's servers,
 * as webmail does; the password is in the server's memory while a process holds the session, and
 * stored only sealed under the session's cookie key (web/middleware/session-secrets.ts).
 */
function mailAccounts(config: ServerConfig, files: ConfiguredFiles): (address: string, password: string) => AccountConfig | undefined {
  const { imap, smtp } = config.mail;
  if (config.signIn.method !== 'imap') return () => undefined;
  const { imapCa, smtpCa } = files;
  return (address, password) => ({
    ...(imap
      ? { imap: { host: imap.host, port: imap.port, secure: imap.tls === 'implicit', requireStartTls: imap.tls === 'starttls', user: address, password, ...(imapCa ? { ca: imapCa } : {}), ...(imap.servername ? { servername: imap.servername } : {}) } }
      : {}),
    ...(smtp ? { smtp: { host: smtp.host, port: smtp.port, secure: !smtp.starttls, requireTls: smtp.starttls, user: address, password, ...(smtpCa ? { ca: smtpCa } : {}), ...(smtp.servername ? { servername: smtp.servername } : {}) } } : {}),
  });
}

export interface StartOptions {
  log: ServerLog;
  /** The built front end's routes (node-adapter's webUiAssets); tests of the API alone leave it out. */
  staticAssets?: WebAppOptions['staticAssets'];
  /** The service's clock (idle locks, Outbox retry delays): tests move it on instead of waiting. Default Date.now. */
  clock?: () => number;
  /** How often the Outbox retry looks for due mail; default a minute. */
  outboxRetryCheckMs?: number;
}

export async function startServer(config: ServerConfig, options: StartOptions): Promise<RunningServer> {
  const { log } = options;
  const home = config.state.directory;
  await mkdir(home, { recursive: true, mode: 0o700 });
  const serverState = join(home, 'server');
  if (config.policy.file) await checkPolicyFile(config.policy.file);
  const custody = new UserKeyCustody(await readKeyEncryptionKey(config.keys.keyEncryptionKeyFile), new FileWrappedSecretStore(join(serverState, 'keys')));
  const files = await readConfiguredFiles(config);
  const accountFor = mailAccounts(config, files);
  const service = new ClientMailService(home, options.clock ?? Date.now, config.policy.file ?? null, (event, fields) => log.write('warn', event, fields));
  const openUserSession = async (address: string, mailPassword: string | undefined, lastUsed?: number) =>
    service.openSession(address, await custody.vaultPassphrase(address), mailPassword === undefined ? undefined : accountFor(address, mailPassword), lastUsed);
  const sessions = new FileSessionStore(join(serverState, 'sessions'), config.limits.sessionIdleMinutes * 60_000);
  const throttle = new SignInThrottle(new FileThrottleStore(join(serverState, 'throttle')), config.signIn);
  const signIn = createSignIn({
    home,
    check: passwordCheck(config, home, files),
    throttle,
    log,
    provision: config.signIn.method !== 'local',
    openSession: async (address, password) => {
      await openUserSession(address, password);
      // Only what reopening needs: the mail password when the session reads and sends with it.
      return config.signIn.method === 'imap' ? { mailPassword: password } : {};
    },
  });
  const clientAddress = clientAddressOf(config.proxy?.trustedAddresses ?? []);
  let inFlight = 0;
  let stopping = false;
  const before = (app: Hono<{ Variables: SessionVariables }>) => {
    app.use('*', async (c, next) => {
      const requestId = randomUUID();
      c.set('requestId', requestId);
      const started = Date.now();
      inFlight++;
      try {
        await next();
      } finally {
        inFlight--;
        c.header('X-Request-Id', requestId);
        // The path only: a query may carry search words, and bodies are never logged.
        log.write(c.res.status >= 500 ? 'error' : 'info', 'request', {
          requestId,
          method: c.req.method,
          path: new URL(c.req.url).pathname,
          status: c.res.status,
          ms: Date.now() - started,
          user: c.get('session')?.user,
          client: clientAddress(c),
        });
      }
    });
    // For a load balancer or systemd's watchdog: 503 while draining, so traffic moves elsewhere.
    app.get('/healthz', (c) => (stopping ? c.json({ status: 'stopping' }, 503) : c.json({ status: 'ok' })));
  };
  const shutdown = new AbortController();
  const behindTls = config.tls !== undefined || config.proxy !== undefined;
  const app = createWebApp({
    service,
    sessions,
    secureCookies: behindTls,
    ...(behindTls ? { hstsMaxAgeSeconds: config.tls?.hstsMaxAgeSeconds ?? 31_536_000 } : {}),
    signIn,
    // Any instance on the same state reopens a session it does not hold: the vault through the KEK,
    // IMAP and SMTP with the unsealed mail password.
    resumeSession: (address, secrets, lastUsed) => openUserSession(address, secrets.mailPassword, lastUsed),
    clientAddress,
    uploadBytes: config.limits.uploadBytes,
    shutdown: shutdown.signal,
    ...(options.outboxRetryCheckMs ? { outboxRetryCheckMs: options.outboxRetryCheckMs } : {}),
    before,
    ...(options.staticAssets ? { staticAssets: options.staticAssets } : {}),
  });
  const listener: RunningListener = await listen(app.fetch, config);
  log.write('info', 'listening', { url: listener.url, signIn: config.signIn.method, tls: config.tls !== undefined, proxy: config.proxy !== undefined });
  return {
    url: listener.url,
    async reloadTls() {
      await listener.reloadTls();
      log.write('info', 'tls-reloaded', { certificate: config.tls?.certificate });
    },
    async shutdown() {
      stopping = true;
      log.write('info', 'stopping', { inFlight });
      shutdown.abort();
      await listener.close(config.limits.shutdownGraceSeconds * 1000);
      await sessions.sweep().catch(() => undefined);
      log.write('info', 'stopped');
    },
  };
}
