/**
 * Finds a recipient's certificates in an LDAP directory (OpenLDAP, Active Directory) with ldapts.
 * The address reaches the server only through ldapts's filter classes, which escape values per
 * RFC 4515 §3 — an address such as `*)(uid=*` is a literal, never an injection.
 */
import { Client, EqualityFilter, InvalidCredentialsError, OrFilter, SubstringFilter, type Entry } from 'ldapts';
import { CachetError } from '../../errors.js';
import { readCertsOnly } from '../../engine/smime/certs-only.js';

export interface DirectoryConfig {
  /** ldap://host:port or ldaps://host:port. */
  url: string;
  /** Upgrade an ldap:// connection with StartTLS (RFC 4511 §4.14) before binding. */
  startTls?: boolean;
  baseDn: string;
  /** Search without binding; else bindDn and a password from the credential store. */
  anonymous: boolean;
  bindDn?: string;
  /** Asked only when a bind is needed, so the password stays in the credential store until then. */
  bindPassword?: () => Promise<string>;
  /** Instead of bindDn/bindPassword: both at once, when the DN too is kept in the credential store. */
  bindCredentials?: () => Promise<{ bindDn: string; password: string }>;
  timeoutMs?: number;
  sizeLimit?: number;
  /** PEM of the CA that issued the server's TLS certificate (else the system's). */
  tlsCa?: string | Buffer;
}

export const DEFAULT_DIRECTORY_TIMEOUT_MS = 5000;
export const DEFAULT_DIRECTORY_SIZE_LIMIT = 50;

/** The attributes that carry certificates: RFC 4523 and RFC 2798's PKCS#7 blob. */
const CERTIFICATE_ATTRIBUTES = ['userCertificate;binary', 'userCertificate', 'userSMIMECertificate', 'userSMIMECertificate;binary'];

export interface DirectoryEntry {
  dn: string;
  certificates: Uint8Array[];
}

/** The filter for one address: `mail`, or an AD `proxyAddresses` value `smtp:ADDRESS` (caseIgnoreMatch covers SMTP:/smtp:). */
export function addressFilter(address: string): OrFilter {
  return new OrFilter({
    filters: [
      new EqualityFilter({ attribute: 'mail', value: address }),
      new EqualityFilter({ attribute: 'proxyAddresses', value: `smtp:${address}` }),
    ],
  });
}

function values(entry: Entry, name: string): Buffer[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  if (!key) return [];
  const raw = entry[key];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.filter((v): v is Buffer => Buffer.isBuffer(v) && v.length > 0);
}

async function entryCertificates(entry: Entry): Promise<Uint8Array[]> {
  const found: Uint8Array[] = [];
  for (const name of ['userCertificate;binary', 'userCertificate']) found.push(...values(entry, name));
  for (const name of ['userSMIMECertificate', 'userSMIMECertificate;binary']) {
    for (const blob of values(entry, name)) {
      try {
        found.push(...(await readCertsOnly(blob)));
      } catch {
        // A damaged PKCS#7 blob in one entry must not hide the other certificates.
      }
    }
  }
  const seen = new Set<string>();
  return found.filter((der) => {
    const key = Buffer.from(der).toString('base64');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function classify(error: unknown, config: DirectoryConfig): CachetError {
  if (error instanceof CachetError) return error;
  if (error instanceof InvalidCredentialsError) {
    return new CachetError('ERR_DIRECTORY_AUTH', `the directory ${config.url} refused the bind DN or password`, { cause: error, details: { url: config.url, bindDn: config.bindDn } });
  }
  const text = String((error as Error)?.message ?? error);
  const code = (error as NodeJS.ErrnoException)?.code;
  // Node's TLS verification codes (SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, …).
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code ?? '')) {
    return new CachetError('ERR_DIRECTORY_FAILURE', `the directory ${config.url} presented a TLS certificate that is not trusted (${text}); check the directory's CA (the policy's ldapTlsCaFile, or --ldap-ca)`, {
      cause: error,
      details: { url: config.url, tls: code },
    });
  }
  if (/ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|ETIMEDOUT|timeout|timed out|closed|EPIPE/i.test(`${code ?? ''} ${text}`)) {
    return new CachetError('ERR_DIRECTORY_UNREACHABLE', `the directory ${config.url} cannot be reached (${text})`, { cause: error, details: { url: config.url } });
  }
  return new CachetError('ERR_DIRECTORY_FAILURE', `the directory ${config.url} returned an error: ${text}`, { cause: error, details: { url: config.url } });
}

export function validateDirectoryConfig(config: DirectoryConfig): void {
  if (!/^ldaps?:\/\//i.test(config.url)) throw new CachetError('ERR_USAGE', `the directory URL must start with ldap:// or ldaps:// (got "${config.url}")`);
  if (config.startTls && /^ldaps:/i.test(config.url)) throw new CachetError('ERR_USAGE', 'StartTLS applies to ldap:// URLs; an ldaps:// URL is already encrypted');
  if (!config.baseDn) throw new CachetError('ERR_USAGE', 'the directory base DN is missing');
  if (!config.anonymous && !config.bindCredentials && (!config.bindDn || !config.bindPassword)) throw new CachetError('ERR_USAGE', 'a directory without anonymous access needs a bind DN and a password');
}

/** Connects (TLS or StartTLS as configured), binds unless anonymous, runs `work`, and always unbinds.
 *  Every failure comes out as ERR_DIRECTORY_* (never a raw ldapts error). */
async function withDirectory<T>(config: DirectoryConfig, work: (client: Client, timeout: number) => Promise<T>): Promise<T> {
  validateDirectoryConfig(config);
  const timeout = config.timeoutMs ?? DEFAULT_DIRECTORY_TIMEOUT_MS;
  const tlsOptions = config.tlsCa ? { ca: [config.tlsCa], minVersion: 'TLSv1.2' as const } : { minVersion: 'TLSv1.2' as const };
  // ldapts speaks TLS from the first byte whenever tlsOptions is set, so ldap:// (with or without StartTLS) must not get them.
  const secure = /^ldaps:/i.test(config.url);
  const client = new Client({ url: config.url, timeout, connectTimeout: timeout, ...(secure ? { tlsOptions } : {}), strictDN: true });
  try {
    if (config.startTls) await client.startTLS(tlsOptions);
    if (!config.anonymous) {
      const { bindDn, password } = config.bindCredentials
        ? await config.bindCredentials()
        : { bindDn: config.bindDn as string, password: await (config.bindPassword as () => Promise<string>)() };
      await client.bind(bindDn, password);
    }
    return await work(client, timeout);
  } catch (error) {
    throw classify(error, config);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Checks that the directory accepts the configured connection and bind, before a password is kept. */
export async function checkDirectoryAccess(config: DirectoryConfig): Promise<void> {
  await withDirectory(config, async () => undefined);
}

/** Looks each address up; one connection for all. Throws ERR_DIRECTORY_* (never a raw ldapts error). */
export async function lookupInDirectory(config: DirectoryConfig, addresses: readonly string[]): Promise<Map<string, DirectoryEntry[]>> {
  return withDirectory(config, async (client, timeout) => {
    const result = new Map<string, DirectoryEntry[]>();
    for (const address of addresses) {
      const { searchEntries } = await client.search(config.baseDn, {
        scope: 'sub',
        filter: addressFilter(address),
        attributes: ['mail', ...CERTIFICATE_ATTRIBUTES],
        explicitBufferAttributes: CERTIFICATE_ATTRIBUTES,
        sizeLimit: config.sizeLimit ?? DEFAULT_DIRECTORY_SIZE_LIMIT,
        timeLimit: Math.max(1, Math.ceil(timeout / 1000)),
      });
      const entries: DirectoryEntry[] = [];
      for (const entry of searchEntries) entries.push({ dn: entry.dn, certificates: await entryCertificates(entry) });
      result.set(address, entries);
    }
    return result;
  });
}

/** Autocomplete asks for a handful of people, never the directory's whole size limit. */
export const MAX_DIRECTORY_SUGGESTIONS = 10;

export interface DirectoryPerson {
  address: string;
  name: string | null;
}

function firstText(entry: Entry, name: string): string | null {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const raw = key ? entry[key] : undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' && value.length > 0 ? value : Buffer.isBuffer(value) ? value.toString('utf8') : null;
}

/**
 * People whose address or name starts with `prefix` (autocomplete in To/Cc): mail, cn and
 * displayName, the typed text reaching LDAP only inside ldapts's escaping filter objects.
 * Throws ERR_DIRECTORY_* (never a raw ldapts error).
 */
export async function searchDirectoryPeople(config: DirectoryConfig, prefix: string, limit = MAX_DIRECTORY_SUGGESTIONS): Promise<DirectoryPerson[]> {
  return withDirectory(config, async (client, timeout) => {
    const { searchEntries } = await client.search(config.baseDn, {
      scope: 'sub',
      filter: new OrFilter({ filters: ['mail', 'cn', 'displayName'].map((attribute) => new SubstringFilter({ attribute, initial: prefix })) }),
      attributes: ['mail', 'cn', 'displayName'],
      sizeLimit: Math.min(limit, config.sizeLimit ?? DEFAULT_DIRECTORY_SIZE_LIMIT),
      timeLimit: Math.max(1, Math.ceil(timeout / 1000)),
    }).catch((error: unknown) => {
      // More matches than asked for: what came is enough for suggestions.
      if ((error as { name?: string })?.name === 'SizeLimitExceededError') return { searchEntries: [] as Entry[] };
      throw error;
    });
    const people: DirectoryPerson[] = [];
    for (const entry of searchEntries) {
      const address = firstText(entry, 'mail');
      if (address) people.push({ address: address.toLowerCase(), name: firstText(entry, 'displayName') ?? firstText(entry, 'cn') });
    }
    return people;
  });
}
