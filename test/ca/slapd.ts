/**
 * A private OpenLDAP slapd for the CA tests, on 127.0.0.1 and a free port, with a temp directory:
 * base dc=example,dc=com, rootdn cn=admin (password "admin"), people under ou=people with `mail`.
 * Used until the directory module's shared test/helpers/slapd.ts exists (the same shape is expected).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support.js';

export interface CaSlapd {
  url: string;
  baseDn: string;
  adminDn: string;
  adminPassword: string;
  stop(): Promise<void>;
}

const BASE = 'dc=example,dc=com';

export async function startCaSlapd(people: Array<{ uid: string; mail: string; cn: string }>): Promise<CaSlapd> {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-ca-slapd-'));
  const pidFile = join(dir, 'slapd.pid');
  const stop = async (): Promise<void> => {
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      try {
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 50; i++) {
          process.kill(pid, 0);
          await new Promise((r) => setTimeout(r, 100));
        }
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    mkdirSync(join(dir, 'db'));
    const rootpw = execFileSync('slappasswd', ['-s', 'admin'], { encoding: 'utf8' }).trim();
    writeFileSync(join(dir, 'slapd.conf'), [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${pidFile}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      'loglevel none',
      'database mdb',
      'maxsize 104857600',
      `suffix "${BASE}"`,
      `rootdn "cn=admin,${BASE}"`,
      `rootpw ${rootpw}`,
      `directory ${join(dir, 'db')}`,
      'index objectClass,mail eq',
      'access to attrs=userPassword by self write by anonymous auth by * none',
      'access to * by * read',
      '',
    ].join('\n'));
    const ldif = [
      `dn: ${BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n`,
      `dn: ou=people,${BASE}\nobjectClass: organizationalUnit\nou: people\n`,
      ...people.map((p) => `dn: uid=${p.uid},ou=people,${BASE}\nobjectClass: inetOrgPerson\nuid: ${p.uid}\ncn: ${p.cn}\nsn: Test\nmail: ${p.mail}\n`),
    ].join('\n');
    writeFileSync(join(dir, 'init.ldif'), ldif);
    execFileSync('slapadd', ['-q', '-f', join(dir, 'slapd.conf'), '-l', join(dir, 'init.ldif')], { stdio: 'pipe' });
    const url = `ldap://127.0.0.1:${port}`;
    execFileSync('slapd', ['-f', join(dir, 'slapd.conf'), '-h', `${url}/`], { stdio: 'pipe' });
    for (let i = 0; i < 100; i++) {
      if (spawnSync('ldapsearch', ['-x', '-H', url, '-b', BASE, '-s', 'base', 'dn'], { stdio: 'ignore' }).status === 0) {
        return { url, baseDn: BASE, adminDn: `cn=admin,${BASE}`, adminPassword: 'admin', stop };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('slapd did not come up');
  } catch (error) {
    await stop();
    throw error;
  }
}
