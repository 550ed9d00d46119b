/**
 * The organisation the server benchmark runs against, set up as an administrator and its users
 * would, through the product only (bench/ imports no test helper):
 *   - the administrator: a key-encryption key (`cachet server --init-key`), a TLS certificate for
 *     127.0.0.1 (openssl: Cachet's CA issues no server certificates), the demo organisation's use case
 *     (src/use-cases/demo-org.ts: Cachet's own CA, local accounts with web passwords, each user's
 *     signing and encryption PKCS#12 files mailed to their embedded Maildir), a policy and the YAML
 *     configuration of `cachet server` (HTTPS, local sign-in, the state directory);
 *   - then each user over HTTPS, as in the browser: signs in, imports the certificates from the
 *     administrator's mail, sends a signed introduction to the colleague who will write to them (whose
 *     reading harvests the certificate), and writes their colleague one signed and encrypted message,
 *     the one the workload opens.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createDemoOrganisation } from '../src/use-cases/demo-org.js';
import { BenchUser, type RoundRobin } from './server-client.js';
import { runCachetCommand, type CachetCommand } from './server-process.js';

export interface BenchOrganisation {
  configFile: string;
  /** The TLS certificate the instances present, which the simulated browsers trust. */
  tlsCa: string;
  /** The instances' environment: the vault's rollback witnesses in the benchmark's directory, shared by every instance. */
  env: NodeJS.ProcessEnv;
  users: Array<{ address: string; password: string; pfxPassword: string; distributionMailId: string }>;
}

/** user01 … userNN: names that sort in order, so the colleagues' ring reads in order. */
function userNames(count: number): string[] {
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => `user${String(i + 1).padStart(Math.max(2, width), '0')}`);
}

export async function setUpOrganisation(work: string, cachet: CachetCommand, userCount: number): Promise<BenchOrganisation> {
  const env = { PATH: process.env.PATH, CACHET_STATE_DIR: join(work, 'vault-witnesses') };
  const kek = join(work, 'kek');
  // A process of its own, started first: it runs while the organisation is made here.
  const kekWritten = runCachetCommand(cachet, ['server', '--init-key', kek], env);
  const [certificate, key] = [join(work, 'tls.pem'), join(work, 'tls.key')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', certificate, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const state = join(work, 'state');
  const names = userNames(userCount);
  const passwords = Object.fromEntries(names.map((name) => [name, randomBytes(12).toString('base64url')]));
  const [, org] = await Promise.all([kekWritten, createDemoOrganisation(state, { domain: 'bench.example', names, passwords })]);
  // No OCSP responder or CRL server runs beside the benchmark: revocation is not asked (said in the report).
  const policy = join(work, 'policy.yaml');
  writeFileSync(policy, 'revocationMode: off\n', { mode: 0o600 });
  const configFile = join(work, 'server.yaml');
  writeFileSync(
    configFile,
    [
      'listen:\n  host: 127.0.0.1\n  port: 0',
      `tls:\n  certificate: ${certificate}\n  key: ${key}`,
      'signIn:\n  method: local',
      `policy:\n  file: ${policy}`,
      `state:\n  directory: ${state}`,
      `keys:\n  keyEncryptionKeyFile: ${kek}`,
      '',
    ].join('\n'),
  );
  return {
    configFile,
    tlsCa: readFileSync(certificate, 'utf8'),
    env,
    users: org.users.map((u) => ({ address: u.user.address, password: u.password, pfxPassword: u.pfxPassword, distributionMailId: u.distributionMailId })),
  };
}

/** One simulated user of the workload: who they write to, and the signed and encrypted message they open. */
export interface Colleagues {
  user: BenchUser;
  colleague: string;
  /** The signed and encrypted message from the colleague before them, in their INBOX. */
  encryptedMessageId: string;
  /** What the INBOX held after the set-up: whatever else arrives during a run is deleted after it. */
  keep: Set<string>;
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`set-up: ${message}`);
}

/**
 * The users' first steps, over HTTPS through `balancer`. User i writes to user i+1 (a ring), so each
 * needs the encryption certificate of the next: the next one introduces themselves with a signed mail.
 */
export async function provisionUsers(org: BenchOrganisation, balancer: RoundRobin): Promise<Colleagues[]> {
  const users = org.users.map((u) => new BenchUser(u.address, u.password, balancer, org.tlsCa));
  const next = (i: number) => users[(i + 1) % users.length]!;
  const previous = (i: number) => users[(i + users.length - 1) % users.length]!;
  await Promise.all(
    users.map(async (user, i) => {
      await user.signIn();
      const results = await user.importFromMail(org.users[i]!.distributionMailId, org.users[i]!.pfxPassword);
      check(results.length === 2 && results.every((r) => r.kind === 'imported'), `${user.address} imported ${JSON.stringify(results)}`);
    }),
  );
  await Promise.all(
    users.map(async (user, i) => {
      const sent = await user.send(previous(i).address, 'Introduction', 'This signed message carries my certificates.', { sign: true, encrypt: false });
      check(sent.kind === 'sent', `${user.address}'s introduction: ${JSON.stringify(sent)}`);
    }),
  );
  await Promise.all(
    users.map(async (user, i) => {
      const intro = (await user.listInbox()).find((m) => m.from.includes(next(i).address) && m.signed);
      check(intro !== undefined, `no introduction from ${next(i).address} in ${user.address}'s INBOX`);
      // Reading a signed mail keeps its sender's certificates in the reader's address book.
      check((await user.open(intro.id)).status === 'valid', `${user.address} read ${next(i).address}'s introduction as not valid`);
    }),
  );
  await Promise.all(
    users.map(async (user, i) => {
      const sent = await user.send(next(i).address, 'Figures', 'The figures for this quarter, for your eyes only.', { sign: true, encrypt: true });
      check(sent.kind === 'sent' && sent.signed === true && sent.encrypted === true, `${user.address}'s first encrypted mail: ${JSON.stringify(sent)}`);
    }),
  );
  return Promise.all(
    users.map(async (user, i) => {
      const inbox = await user.listInbox();
      const encrypted = inbox.find((m) => m.from.includes(previous(i).address) && m.encrypted);
      check(encrypted !== undefined, `no encrypted mail from ${previous(i).address} in ${user.address}'s INBOX`);
      await user.signOut();
      return { user, colleague: next(i).address, encryptedMessageId: encrypted.id, keep: new Set(inbox.map((m) => m.id)) };
    }),
  );
}
