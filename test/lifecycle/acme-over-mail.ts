/**
 * An ACME server of a fresh CA over the private Postfix and Dovecot (test/helpers/mail-servers.ts):
 * it mails its S/MIME-signed challenges by SMTP as the user "acme" and reads the replies from acme's
 * IMAP INBOX — what the ACME tests over real mail servers share.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAcmeServer, type AcmeServerOptions, type RunningAcmeServer } from '../../src/adapters/ca/acme-server.js';
import { CaStore, type CaKeyPair } from '../../src/adapters/ca/ca-store.js';
import { issueCertificate } from '../../src/adapters/ca/issue.js';
import { generateKeyPairOf } from '../../src/adapters/ca/key-pair.js';
import { setUpCa } from '../../src/adapters/ca/setup.js';
import { getTemplate } from '../../src/adapters/ca/templates.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { softwareKey } from '../../src/engine/software-key.js';
import { ImapMailbox } from '../../src/adapters/mail/imap.js';
import { SmtpTransport } from '../../src/adapters/mail/transport.js';
import type { MailServers } from '../helpers/mail-servers.js';

export const ACME_FROM = 'acme@example.com';
const PASSPHRASE = 'acme over mail passphrase';

export interface AcmeOverMail {
  dir: string;
  store: CaStore;
  issuer: CaKeyPair;
  root: Uint8Array;
  acme: RunningAcmeServer;
  /** A user's IMAP INBOX (closed by close()). */
  imap(user: string): ImapMailbox;
  /** A user's authenticated SMTP submission. */
  smtp(user: string): SmtpTransport;
  close(): Promise<void>;
}

export async function startAcmeOverMail(servers: MailServers, options: {
  template: string;
  dkimResolver?: AcmeServerOptions['dkimResolver'];
  /** What happens to a reply between the CA's INBOX and the server (a relay that changes mail). */
  inTransit?: (raw: Buffer) => Promise<Buffer>;
}): Promise<AcmeOverMail> {
  const mailboxes: ImapMailbox[] = [];
  const imap = (user: string) => {
    const box = new ImapMailbox({ host: '127.0.0.1', port: servers.imapsPort, secure: true, user, password: user, ca: servers.ca, servername: 'localhost' });
    mailboxes.push(box);
    return box;
  };
  const smtp = (user: string) => new SmtpTransport({ host: '127.0.0.1', port: servers.smtpPort, user, password: user, ca: servers.ca });
  const dir = mkdtempSync(join(tmpdir(), 'cachet-acme-mail-'));
  const store = new CaStore(join(dir, 'ca'));
  await setUpCa(store, { name: 'ACME Mail CA', intermediate: false, keyType: 'ec-p256', httpBase: 'http://127.0.0.1:1', passphrase: PASSPHRASE });
  const issuer = await store.issuer(PASSPHRASE);
  const root = (await store.chain()).at(-1)!;
  const signerKey = await generateKeyPairOf('ec-p256');
  const signer = await issueCertificate(store, issuer, { template: getTemplate('signing-only'), spki: signerKey.spki, email: ACME_FROM, validityDays: 7 });
  const caInbox = imap('acme');
  const inTransit = options.inTransit ?? (async (raw: Buffer) => raw);
  const acme = await startAcmeServer({
    store,
    issuer,
    template: getTemplate(options.template),
    validator: createCertificateValidator({ trustAnchors: [root], revocation: 'off' }),
    challengeSigner: { certificate: signer.certificate, chain: [root], key: softwareKey(signerKey.privateKey) },
    ...(options.dkimResolver ? { dkimResolver: options.dkimResolver } : {}),
    port: 0,
    mail: {
      from: ACME_FROM,
      send: async (to, message) => void (await smtp('acme').deliver({ from: ACME_FROM, to: [to] }, message)),
      replies: async () => Promise.all((await caInbox.list('INBOX')).map(async (m) => inTransit(Buffer.from(await caInbox.read('INBOX', m.id))))),
    },
  });
  return {
    dir, store, issuer, root, acme, imap, smtp,
    async close() {
      await acme.close();
      for (const box of mailboxes) await box.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
