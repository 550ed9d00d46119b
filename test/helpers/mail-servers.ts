/**
 * Private Dovecot (IMAP) and Postfix (SMTP) on 127.0.0.1 free ports, for the mail integration tests
 * (test/servers/mail-up.sh does the work). Always stop them in `after`, even when start-up failed.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pkiFile, testPkiDir } from './pki.js';
import { freePort } from './net.js';

const UP = fileURLToPath(new URL('../servers/mail-up.sh', import.meta.url));
const DOWN = fileURLToPath(new URL('../servers/mail-down.sh', import.meta.url));


export interface MailServers {
  imapPort: number;
  imapsPort: number;
  smtpPort: number;
  domain: string;
  /** PEM of the CA that issued the servers' certificate. */
  ca: string;
  stateDir: string;
  stop(): void;
  stopSmtp(): void;
  startSmtp(): void;
}

/** `milter`: a milter Postfix's smtpd passes every message through (opendkim: test/helpers/dkim.ts). */
export async function startMailServers(users = ['alice', 'bob'], options: { milter?: string } = {}): Promise<MailServers> {
  const stateDir = mkdtempSync(join(tmpdir(), 'cachet-mail-'));
  chmodSync(stateDir, 0o755);
  const ports = { IMAP_PORT: await freePort(), IMAPS_PORT: await freePort(), SMTP_PORT: await freePort(), LMTP_PORT: await freePort() };
  const env = { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), MAIL_USERS: users.join(' '), MAIL_DOMAIN: 'example.com', ...(options.milter ? { SMTPD_MILTERS: options.milter } : {}) };
  const stop = () => {
    execFileSync('bash', [DOWN, stateDir], { stdio: 'ignore' });
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    execFileSync('bash', [UP, stateDir, testPkiDir()], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
  } catch (error) {
    const log = (() => {
      try {
        return readFileSync(join(stateDir, 'dovecot.log'), 'utf8');
      } catch {
        return '';
      }
    })();
    stop();
    throw new Error(`the mail servers did not start: ${(error as { stderr?: Buffer }).stderr?.toString() ?? error}\n${log}`);
  }
  return {
    imapPort: ports.IMAP_PORT,
    imapsPort: ports.IMAPS_PORT,
    smtpPort: ports.SMTP_PORT,
    domain: 'example.com',
    ca: readFileSync(pkiFile('ca.pem'), 'utf8'),
    stateDir,
    stop,
    stopSmtp: () => execFileSync('postfix', ['-c', join(stateDir, 'postfix'), 'stop'], { stdio: 'ignore' }),
    startSmtp: () => execFileSync('script', ['-qec', `postfix -c '${join(stateDir, 'postfix')}' start`, '/dev/null'], { stdio: 'ignore' }),
  };
}

export { freePort };
