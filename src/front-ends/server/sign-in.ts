/**
 * Signing in to `cachet server` the way webmail does: the user's own mail password, checked by the
 * organisation's IMAP server, or a bind to the directory, or (the embedded default) a local password
 * set with `cachet account add --web-password-file`. Around every check: the throttle (per account and
 * per client address), the same work for unknown and known users, and a log line for each attempt —
 * never with the password.
 */
import { randomBytes } from 'node:crypto';
import { Client, InvalidCredentialsError } from 'ldapts';
import { ImapFlow } from 'imapflow';
import { CachetError, isCachetError } from '../../errors.js';
import { addressFilter } from '../../adapters/directory/ldap-lookup.js';
import { addUser, findUser, verifyLocalLogin } from '../../use-cases/users.js';
import type { SignInAttempt, SignInResult } from '../web/app.js';
import type { SessionSecrets } from '../web/middleware/session-secrets.js';
import type { ServerConfig } from './config.js';
import type { ServerLog } from './log.js';
import type { SignInThrottle } from './throttle.js';

/** Checks one password: true when it is the user's. Throws ERR_*_UNREACHABLE when the checker is down. */
export type PasswordCheck = (address: string, password: string) => Promise<boolean>;

export function localPasswordCheck(home: string): PasswordCheck {
  return async (address, password) => (await verifyLocalLogin(home, address, password)) !== undefined;
}

/**
 * A login to the IMAP server with the user's address and password, then LOGOUT. `ca`: the text of
 * mail.imap.ca, read once when the server starts (start.ts), so a file gone later cannot turn every
 * sign-in into "unavailable".
 */
export function imapPasswordCheck(imap: NonNullable<ServerConfig['mail']['imap']>, ca: string | undefined): PasswordCheck {
  return async (address, password) => {
    const client = new ImapFlow({
      host: imap.host,
      port: imap.port,
      secure: imap.tls === 'implicit',
      // STARTTLS is required, never optional: a password must not cross in clear.
      ...(imap.tls === 'starttls' ? { doSTARTTLS: true } : {}),
      auth: { user: address, pass: password },
      tls: { ...(ca ? { ca } : {}), servername: imap.servername ?? imap.host, minVersion: 'TLSv1.2' },
      logger: false,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.logout().catch(() => client.close());
      return true;
    } catch (error) {
      client.close();
      if ((error as { authenticationFailed?: boolean }).authenticationFailed) return false;
      throw new CachetError('ERR_MAIL_UNREACHABLE', `the IMAP server ${imap.host}:${imap.port} cannot check passwords now`, { cause: error });
    }
  };
}

/**
 * Finds the user's entry by address (mail, or AD's proxyAddresses; the value escaped by ldapts's
 * filter classes) and binds as it. An address with no entry still costs a bind, to a DN that does not
 * exist, so that the directory's answer time does not tell which addresses exist. `files`: the text of
 * directory.ca and of directory.searchBindPasswordFile, read once when the server starts.
 */
export function ldapPasswordCheck(directory: NonNullable<ServerConfig['directory']>, files: { ca: string | undefined; searchBindPassword: string | undefined }): PasswordCheck {
  const { ca, searchBindPassword } = files;
  return async (address, password) => {
    // An empty password is an anonymous bind to LDAP (RFC 4513 §5.1.2): it must never mean "signed in".
    if (password.length === 0) return false;
    const tlsOptions = { ...(ca ? { ca: [ca] } : {}), minVersion: 'TLSv1.2' as const };
    const secure = /^ldaps:/i.test(directory.url);
    const search = new Client({ url: directory.url, timeout: 10_000, connectTimeout: 10_000, ...(secure ? { tlsOptions } : {}) });
    const bind = new Client({ url: directory.url, timeout: 10_000, connectTimeout: 10_000, ...(secure ? { tlsOptions } : {}) });
    try {
      if (directory.startTls) await search.startTLS(tlsOptions);
      if (directory.searchBindDn) await search.bind(directory.searchBindDn, searchBindPassword ?? '');
      const { searchEntries } = await search.search(directory.baseDn, { scope: 'sub', filter: addressFilter(address), attributes: ['dn'], sizeLimit: 2 });
      const dn = searchEntries.length === 1 ? searchEntries[0]!.dn : `cn=cachet-no-such-user-${randomBytes(8).toString('hex')},${directory.baseDn}`;
      if (directory.startTls) await bind.startTLS(tlsOptions);
      try {
        await bind.bind(dn, password);
      } catch (error) {
        if (error instanceof InvalidCredentialsError) return false;
        throw error;
      }
      return searchEntries.length === 1;
    } catch (error) {
      throw new CachetError('ERR_DIRECTORY_UNREACHABLE', `the directory ${directory.url} cannot check passwords now: ${(error as Error).message}`, { cause: error });
    } finally {
      await search.unbind().catch(() => undefined);
      await bind.unbind().catch(() => undefined);
    }
  };
}

export interface SignInDependencies {
  /** The Cachet home whose users/ directory holds each user's records. */
  home: string;
  check: PasswordCheck;
  throttle: SignInThrottle;
  log: ServerLog;
  /**
   * Opens the user's server side (their vault, their mail account) once their password is checked;
   * returns what another instance needs to reopen it (sealed into the session store under the cookie's key).
   */
  openSession(address: string, password: string): Promise<SessionSecrets>;
  /** Whether a user checked by the IMAP server or the directory gets a Cachet home of their own on first sign-in. */
  provision: boolean;
}

export function createSignIn(deps: SignInDependencies): (attempt: SignInAttempt) => Promise<SignInResult> {
  return async ({ user, password, clientAddress }) => {
    const account = `account:${user}`;
    const client = `client:${clientAddress}`;
    const wait = await deps.throttle.waitSeconds([account, client]);
    if (wait > 0) {
      deps.log.write('warn', 'sign-in-throttled', { user, client: clientAddress, retryAfterSeconds: wait });
      return { kind: 'throttled', retryAfterSeconds: wait };
    }
    let ok: boolean;
    try {
      ok = await deps.check(user, password);
    } catch (error) {
      deps.log.write('error', 'sign-in-unavailable', { user, client: clientAddress, code: isCachetError(error) ? error.code : 'ERR_INTERNAL' });
      return { kind: 'unavailable', message: isCachetError(error) ? error.message : 'sign-in is not available now' };
    }
    if (!ok) {
      await deps.throttle.failed(account, client);
      deps.log.write('warn', 'sign-in-failed', { user, client: clientAddress });
      return { kind: 'refused' };
    }
    await deps.throttle.succeeded(account);
    if (deps.provision && !(await findUser(deps.home, user))) {
      await addUser(deps.home, user);
      deps.log.write('info', 'user-provisioned', { user });
    }
    const secrets = await deps.openSession(user, password);
    deps.log.write('info', 'signed-in', { user, client: clientAddress });
    return { kind: 'signed-in', user, secrets };
  };
}
