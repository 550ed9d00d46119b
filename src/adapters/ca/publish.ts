/**
 * Publication to the directory: the certificates issued for a mailbox are written to the
 * `userCertificate;binary` attribute (RFC 4523 §2.1: the ";binary" transfer option is required for
 * this attribute) of the one entry whose `mail` is that mailbox, so the directory lookup finds them.
 * With `replace`, the attribute is set to exactly these certificates (older ones disappear);
 * otherwise they are appended, skipping values the entry already holds.
 */
import { Attribute, Change, Client, EqualityFilter, InvalidCredentialsError } from 'ldapts';
import type { ConnectionOptions } from 'node:tls';
import { CachetError } from '../../errors.js';
import type { CaStore } from './ca-store.js';
import { markPublished, publishableCertificates } from './records.js';

export const USER_CERTIFICATE_BINARY = 'userCertificate;binary';

export interface DirectoryTarget {
  url: string;
  baseDn: string;
  bindDn?: string;
  bindPassword?: string;
  /** Upgrade ldap:// with StartTLS before binding. */
  startTls?: boolean;
  tls?: ConnectionOptions;
  /** Milliseconds; default 10 s. */
  timeout?: number;
}

export interface PublishResult {
  dn: string;
  /** Certificates written by this call. */
  added: number;
  /** Certificates the entry holds afterwards. */
  total: number;
}

function asBuffers(value: unknown): Buffer[] {
  if (value === undefined || value === null) return [];
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v): v is Buffer => Buffer.isBuffer(v));
}

function directoryError(error: unknown, target: DirectoryTarget): CachetError {
  if (error instanceof CachetError) return error;
  if (error instanceof InvalidCredentialsError) {
    return new CachetError('ERR_DIRECTORY_AUTH', `the directory ${target.url} refused the credentials of ${target.bindDn ?? 'the anonymous user'}`, { cause: error, details: { url: target.url } });
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || /timeout|connect/i.test((error as Error).message)) {
    return new CachetError('ERR_DIRECTORY_UNREACHABLE', `the directory ${target.url} cannot be reached (${code ?? (error as Error).message})`, { cause: error, details: { url: target.url } });
  }
  return new CachetError('ERR_DIRECTORY_FAILURE', `the directory ${target.url} refused the change: ${(error as Error).message}`, { cause: error, details: { url: target.url } });
}

/**
 * @throws CachetError ERR_DIRECTORY_UNREACHABLE, ERR_DIRECTORY_AUTH, ERR_CERT_NOT_FOUND (no entry
 *   has that mail, or several do), ERR_DIRECTORY_FAILURE (the server refused the modify).
 */
export async function publishCertificates(target: DirectoryTarget, email: string, certificates: Uint8Array[], options: { replace?: boolean } = {}): Promise<PublishResult> {
  if (certificates.length === 0) throw new CachetError('ERR_CERT_NOT_FOUND', `there is no valid certificate for ${email} to publish`, { details: { email } });
  const timeout = target.timeout ?? 10_000;
  const client = new Client({ url: target.url, timeout, connectTimeout: timeout, ...(target.tls ? { tlsOptions: target.tls } : {}) });
  try {
    if (target.startTls) await client.startTLS(target.tls ?? {});
    if (target.bindDn) await client.bind(target.bindDn, target.bindPassword ?? '');
    // EqualityFilter escapes the value (RFC 4515): a mailbox cannot inject filter syntax.
    const { searchEntries } = await client.search(target.baseDn, {
      scope: 'sub',
      filter: new EqualityFilter({ attribute: 'mail', value: email }),
      attributes: [USER_CERTIFICATE_BINARY],
      explicitBufferAttributes: [USER_CERTIFICATE_BINARY],
      sizeLimit: 2,
    });
    if (searchEntries.length === 0) {
      throw new CachetError('ERR_CERT_NOT_FOUND', `no entry under ${target.baseDn} has mail=${email}; create the user's entry first`, { details: { email, baseDn: target.baseDn } });
    }
    if (searchEntries.length > 1) {
      throw new CachetError('ERR_DIRECTORY_FAILURE', `several entries under ${target.baseDn} have mail=${email}; Cachet will not guess which one to change`, { details: { email } });
    }
    const entry = searchEntries[0]!;
    const present = asBuffers(entry[USER_CERTIFICATE_BINARY]);
    const wanted = certificates.map((c) => Buffer.from(c));
    let added: number;
    let total: number;
    if (options.replace) {
      await client.modify(entry.dn, new Change({ operation: 'replace', modification: new Attribute({ type: USER_CERTIFICATE_BINARY, values: wanted }) }));
      added = wanted.filter((w) => !present.some((p) => p.equals(w))).length;
      total = wanted.length;
    } else {
      const missing = wanted.filter((w) => !present.some((p) => p.equals(w)));
      if (missing.length > 0) {
        await client.modify(entry.dn, new Change({ operation: 'add', modification: new Attribute({ type: USER_CERTIFICATE_BINARY, values: missing }) }));
      }
      added = missing.length;
      total = present.length + missing.length;
    }
    return { dn: entry.dn, added, total };
  } catch (error) {
    throw directoryError(error, target);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/**
 * Publishes what this CA may publish for a mailbox: its valid certificates that reached their owner
 * (records.ts), named as undelivered otherwise; records the publication in the index and the audit log.
 * @throws CachetError ERR_CERT_NOT_FOUND when none was delivered (or none is valid), and what
 *   {@link publishCertificates} throws.
 */
export async function publishDelivered(store: CaStore, target: DirectoryTarget, email: string, who: string, options: { replace?: boolean } = {}): Promise<PublishResult & { undelivered: string[] }> {
  const { publish, undelivered: waiting } = await publishableCertificates(store, email);
  const undelivered = waiting.map((r) => r.serial);
  if (publish.length === 0 && waiting.length > 0) {
    throw new CachetError('ERR_CERT_NOT_FOUND', `the valid certificates for ${email} (${undelivered.join(', ')}) have not been delivered to ${email} yet; send them with "cachet ca distribute" first`, { details: { email, undelivered } });
  }
  const result = await publishCertificates(target, email, publish.map((r) => new Uint8Array(Buffer.from(r.certificate, 'base64'))), options);
  await markPublished(store, publish.map((r) => r.serial), result.dn, who);
  return { ...result, undelivered };
}
