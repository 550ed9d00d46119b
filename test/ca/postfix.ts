/**
 * A private Postfix for the CA tests: SMTP on 127.0.0.1 and a free port, accepting mail for
 * example.com users and delivering it with virtual(8) into Maildirs under a temp directory
 * (no Dovecot needed). Runs as root, as the CI does; the temp directory is made traversable for
 * the postfix and mail users. Stopped with `postfix stop`, then removed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support.js';
import { waitFor } from '../helpers/wait.js';

export interface CaPostfix {
  smtpUrl: string;
  /** The Maildir of a user (…/Maildir/, with new/ inside once mail arrived). */
  maildir(user: string): string;
  /** The paths of the mails in a user's new/, once there is at least one (Postfix delivers after its queue). */
  delivered(user: string): Promise<string[]>;
  stop(): Promise<void>;
}

function uidOf(name: string): number {
  return Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
}
function gidOf(name: string): number {
  return Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

export async function startCaPostfix(users: string[], domain = 'example.com'): Promise<CaPostfix> {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-ca-postfix-'));
  chmodSync(dir, 0o755);
  const config = join(dir, 'postfix');
  let started = false;
  const stop = async (): Promise<void> => {
    if (started) spawnSync('postfix', ['-c', config, 'stop'], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    for (const sub of ['postfix', 'queue', 'data', 'mail']) mkdirSync(join(dir, sub));
    chownSync(join(dir, 'data'), uidOf('postfix'), gidOf('postfix'));
    const mailUid = uidOf('mail');
    const mailGid = gidOf('mail');
    chownSync(join(dir, 'mail'), mailUid, mailGid);
    writeFileSync(join(config, 'vmailbox'), users.map((u) => `${u}@${domain} ${u}/Maildir/\n`).join(''));
    writeFileSync(join(config, 'main.cf'), [
      'compatibility_level = 3.6',
      `queue_directory = ${join(dir, 'queue')}`,
      `data_directory = ${join(dir, 'data')}`,
      `maillog_file = ${join(dir, 'postfix.log')}`,
      `maillog_file_prefixes = ${dir}`,
      'mail_owner = postfix',
      'setgid_group = postdrop',
      `myhostname = mail.${domain}`,
      `mydomain = ${domain}`,
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'mynetworks = 127.0.0.0/8',
      'mydestination =',
      'alias_maps =',
      'alias_database =',
      'default_transport = error:external delivery disabled in tests',
      `virtual_mailbox_domains = ${domain}`,
      `virtual_mailbox_base = ${join(dir, 'mail')}`,
      `virtual_mailbox_maps = texthash:${join(config, 'vmailbox')}`,
      `virtual_uid_maps = static:${mailUid}`,
      `virtual_gid_maps = static:${mailGid}`,
      'virtual_transport = virtual',
      // The Debian mail user is uid 8; virtual(8) refuses uids under 100 unless told.
      'virtual_minimum_uid = 1',
      'smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination',
      'smtpd_tls_security_level = none',
      'smtpd_error_sleep_time = 0',
      'biff = no',
      '',
    ].join('\n'));
    writeFileSync(join(config, 'master.cf'), [
      `127.0.0.1:${port} inet n - n - - smtpd`,
      'pickup    unix  n - n 60 1 pickup',
      'cleanup   unix  n - n - 0 cleanup',
      'qmgr      unix  n - n 300 1 qmgr',
      'rewrite   unix  - - n - - trivial-rewrite',
      'bounce    unix  - - n - 0 bounce',
      'defer     unix  - - n - 0 bounce',
      'trace     unix  - - n - 0 bounce',
      'verify    unix  - - n - 1 verify',
      'flush     unix  n - n 1000? 0 flush',
      'proxymap  unix  - - n - - proxymap',
      'smtp      unix  - - n - - smtp',
      'showq     unix  n - n - - showq',
      'error     unix  - - n - - error',
      'retry     unix  - - n - - error',
      'discard   unix  - - n - - discard',
      'virtual   unix  - n n - - virtual',
      'anvil     unix  - - n - 1 anvil',
      'scache    unix  - - n - 1 scache',
      'postlog   unix-dgram n - n - 1 postlogd',
      '',
    ].join('\n'));
    // postfix prints its fatal errors only to a terminal (else syslog): script(1) gives it one.
    const start = spawnSync('script', ['-qec', `postfix -c '${config}' start`, '/dev/null'], { encoding: 'utf8' });
    if (start.status !== 0) throw new Error(`postfix did not start: ${start.stdout}${start.stderr}`);
    started = true;
    await waitFor(() => portOpen(port), `Postfix's SMTP port ${port}`);
    const maildir = (user: string) => join(dir, 'mail', user, 'Maildir');
    const delivered = (user: string) =>
      waitFor(() => {
        const newDir = join(maildir(user), 'new');
        const files = existsSync(newDir) ? readdirSync(newDir) : [];
        return files.length > 0 && files.map((name) => join(newDir, name));
      }, `mail delivered to ${user}`);
    return { smtpUrl: `smtp://127.0.0.1:${port}`, maildir, delivered, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
