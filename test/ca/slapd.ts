/**
 * The CA tests' directory: the shared private slapd (test/helpers/slapd.ts) with people under
 * ou=people that have a `mail`, as `ca publish` finds them.
 */
import { startSlapd } from '../helpers/slapd.js';

export interface CaSlapd {
  url: string;
  baseDn: string;
  adminDn: string;
  adminPassword: string;
  stop(): Promise<void>;
}

export async function startCaSlapd(people: Array<{ uid: string; mail: string; cn: string }>): Promise<CaSlapd> {
  return startSlapd({
    entries: people.map((p) => ({ dn: `uid=${p.uid},ou=people,dc=example,dc=com`, attributes: { objectClass: 'inetOrgPerson', uid: p.uid, cn: p.cn, sn: 'Test', mail: p.mail } })),
  });
}
