/**
 * A private OpenLDAP slapd for tests, on 127.0.0.1 with free ports and a temp directory: mdb backend,
 * core/cosine/inetorgperson plus a small AD-like schema (proxyAddresses, objectClass user, with the
 * EQUALITY rules Debian's msuser.schema lacks), anonymous read, cn=admin rootdn and a cn=reader bind
 * user; with `withTls`, LDAPS on a second port and StartTLS, using the test PKI's localhost certificate.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { pkiFile } from './pki.js';
import { freePort } from './net.js';
import { waitFor } from './wait.js';

export type LdapValue = string | Buffer;

export interface LdapEntry {
  dn: string;
  /** Attribute name → value(s); Buffers are written base64 (`name:: …`) — use `userCertificate;binary`. */
  attributes: Record<string, LdapValue | LdapValue[]>;
}

export interface Slapd {
  url: string;
  /** Set when started withTls. */
  ldapsUrl: string | undefined;
  /** PEM file of the CA of the server's TLS certificate (withTls). */
  caFile: string | undefined;
  baseDn: string;
  adminDn: string;
  adminPassword: string;
  readerDn: string;
  readerPassword: string;
  add(entry: LdapEntry): Promise<void>;
  /** Adds values to an attribute of an existing entry. */
  addValues(dn: string, attribute: string, values: LdapValue[]): Promise<void>;
  /** Stops the server (idempotent); the temp directory goes too. */
  stop(): Promise<void>;
  /** Stops the server but keeps its data, so a test can see "directory down". */
  pause(): Promise<void>;
}

const BASE = 'dc=example,dc=com';

const AD_LITE_SCHEMA = `attributetype ( 1.2.840.113556.1.2.210 NAME 'proxyAddresses'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
objectclass ( 1.2.840.113556.1.5.9 NAME 'user' SUP organizationalPerson STRUCTURAL
  MAY ( proxyAddresses $ mail $ displayName $ givenName $ userCertificate $ userSMIMECertificate ) )
`;


function ldif(entry: LdapEntry): string {
  const lines = [`dn: ${entry.dn}`];
  for (const [name, value] of Object.entries(entry.attributes)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      lines.push(Buffer.isBuffer(v) ? `${name}:: ${v.toString('base64')}` : /^[\x20-\x7e]*$/.test(v) && !/^[ :<]/.test(v) ? `${name}: ${v}` : `${name}:: ${Buffer.from(v).toString('base64')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function killPid(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100; i++) {
      process.kill(pid, 0);
      await new Promise((r) => setTimeout(r, 50));
    }
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
  rmSync(pidFile, { force: true });
}

/** `anonymousRead: false` makes the directory answer bound users only (as Active Directory does). */
export async function startSlapd(options: { withTls?: boolean; entries?: LdapEntry[]; anonymousRead?: boolean } = {}): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-slapd-'));
  const pidFile = join(dir, 'slapd.pid');
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await killPid(pidFile);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const tlsPort = options.withTls ? await freePort() : 0;
    mkdirSync(join(dir, 'db'));
    writeFileSync(join(dir, 'ad-lite.schema'), AD_LITE_SCHEMA);
    const hash = (pw: string): string => execFileSync('slappasswd', ['-s', pw], { encoding: 'utf8' }).trim();
    writeFileSync(join(dir, 'slapd.conf'), [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      `include ${join(dir, 'ad-lite.schema')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${pidFile}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      'loglevel none',
      ...(options.withTls ? [`TLSCertificateFile ${pkiFile('localhost.pem')}`, `TLSCertificateKeyFile ${pkiFile('localhost.key')}`, `TLSCACertificateFile ${pkiFile('ca.pem')}`] : []),
      'database mdb',
      'maxsize 104857600',
      `suffix "${BASE}"`,
      `rootdn "cn=admin,${BASE}"`,
      `rootpw ${hash('admin')}`,
      `directory ${join(dir, 'db')}`,
      'index objectClass,mail,proxyAddresses eq',
      'access to attrs=userPassword by self write by anonymous auth by * none',
      options.anonymousRead === false ? 'access to * by users read by * none' : 'access to * by * read',
      '',
    ].join('\n'));
    const base: LdapEntry[] = [
      { dn: BASE, attributes: { objectClass: ['dcObject', 'organization'], dc: 'example', o: 'Test' } },
      { dn: `ou=people,${BASE}`, attributes: { objectClass: 'organizationalUnit', ou: 'people' } },
      { dn: `ou=services,${BASE}`, attributes: { objectClass: 'organizationalUnit', ou: 'services' } },
      { dn: `cn=reader,ou=services,${BASE}`, attributes: { objectClass: ['organizationalRole', 'simpleSecurityObject'], cn: 'reader', userPassword: hash('reader') } },
    ];
    writeFileSync(join(dir, 'init.ldif'), [...base, ...(options.entries ?? [])].map(ldif).join('\n'));
    execFileSync('slapadd', ['-q', '-f', join(dir, 'slapd.conf'), '-l', join(dir, 'init.ldif')], { stdio: 'pipe' });
    const url = `ldap://127.0.0.1:${port}`;
    const ldapsUrl = options.withTls ? `ldaps://127.0.0.1:${tlsPort}` : undefined;
    const start = async (): Promise<void> => {
      execFileSync('slapd', ['-f', join(dir, 'slapd.conf'), '-h', [`${url}/`, ...(ldapsUrl ? [`${ldapsUrl}/`] : [])].join(' ')], { stdio: 'pipe' });
      await waitFor(() => spawnSync('ldapsearch', ['-x', '-H', url, '-D', `cn=admin,${BASE}`, '-w', 'admin', '-b', BASE, '-s', 'base', 'dn'], { stdio: 'ignore' }).status === 0, `slapd answering on ${url}`);
    };
    await start();
    const withAdmin = async (work: (client: Client) => Promise<void>): Promise<void> => {
      const client = new Client({ url, timeout: 5000, connectTimeout: 5000 });
      try {
        await client.bind(`cn=admin,${BASE}`, 'admin');
        await work(client);
      } finally {
        await client.unbind().catch(() => undefined);
      }
    };
    return {
      url,
      ldapsUrl,
      caFile: options.withTls ? pkiFile('ca.pem') : undefined,
      baseDn: BASE,
      adminDn: `cn=admin,${BASE}`,
      adminPassword: 'admin',
      readerDn: `cn=reader,ou=services,${BASE}`,
      readerPassword: 'reader',
      add: (entry) =>
        withAdmin((c) =>
          c.add(
            entry.dn,
            Object.entries(entry.attributes).map(([type, v]) => new Attribute({ type, values: (Array.isArray(v) ? v : [v]) as string[] | Buffer[] })),
          ),
        ),
      addValues: (dn, attribute, values) =>
        withAdmin((c) => c.modify(dn, new Change({ operation: 'add', modification: new Attribute({ type: attribute, values: values as string[] | Buffer[] }) }))),
      stop,
      pause: () => killPid(pidFile),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export { freePort };
