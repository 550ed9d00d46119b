/**
 * `cachet demo`: the reference flow, end to end, on embedded defaults — a temporary Cachet home, the
 * demo organisation (its CA issues signing-only and encryption-only certificates and mails them as
 * PKCS#12 files), local Maildir delivery, no server and no prompt — through the same use cases as the
 * CLI and the web client. It prints each step and succeeds only if bob finally reads alice's mail as
 * decrypted, signed, valid and trusted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateValidator } from '../engine/pki/create-validator.js';
import { openFileCredentialStore } from '../adapters/keys/file-credential-store.js';
import { VAULT_FILE_NAME } from '../adapters/keys/open-store.js';
import { loadEffectivePolicy } from '../adapters/policy/policy.js';
import { LocalTransport } from '../adapters/mail/transport.js';
import { recipientResolver } from './recipients.js';
import { createDemoOrganisation, type DemoUser } from './demo-org.js';
import { importFromMail } from './import-from-mail.js';
import { readMessage } from './read.js';
import { sendMessage } from './send.js';
import { findUser } from './users.js';

export interface DemoResult {
  status: string;
  encrypted: boolean;
}

export async function runDemo(say: (line: string) => void): Promise<DemoResult> {
  const home = await mkdtemp(join(tmpdir(), 'cachet-demo-'));
  try {
    say(`Cachet demo — a temporary Cachet home in ${home}; no server, no network.\n`);
    const org = await createDemoOrganisation(home);
    say('1. The administrator set up the CA "Example Org S/MIME CA" (a root and an issuing CA); every user trusts its root.');
    say('2. It issued each user a signing-only and an encryption-only certificate, and mailed them as PKCS#12 files (the password travels separately).');
    const validator = createCertificateValidator({ trustAnchors: [org.root, org.issuing] });
    const transport = new LocalTransport(async (address) => (await findUser(home, address))?.maildir);
    const sessions = new Map<string, { demo: DemoUser; store: Awaited<ReturnType<typeof openFileCredentialStore>> }>();
    for (const demo of org.users) {
      const store = await openFileCredentialStore(join(demo.user.dir, VAULT_FILE_NAME), demo.password, { createIfMissing: true });
      const results = await importFromMail(demo.user, 'INBOX', demo.distributionMailId, store, { password: async () => demo.pfxPassword });
      for (const result of results) {
        if (result.kind !== 'imported') throw new Error(`${result.filename} was not imported: ${result.kind === 'failed' ? result.message : 'a role must be chosen'}`);
        say(`3. ${demo.user.address} opened the mail — ${result.notice}.`);
      }
      sessions.set(demo.user.address.split('@')[0]!, { demo, store });
    }
    const alice = sessions.get('alice')!;
    const bob = sessions.get('bob')!;
    const policyOf = (user: DemoUser) => loadEffectivePolicy({ home, settingsHome: user.user.dir });

    // bob introduces himself with a signed message, so that alice learns his encryption certificate.
    await sendMessage(
      { to: [alice.demo.user.address], subject: 'Hello from Bob', text: 'Hi Alice, this signed message carries my certificates.', encrypt: false },
      { user: bob.demo.user, policy: await policyOf(bob.demo), store: bob.store, resolveRecipients: recipientResolver({ userDir: bob.demo.user.dir, policy: await policyOf(bob.demo), validator }), transport },
    );
    const intro = (await alice.demo.user.mailbox.list('INBOX')).find((m) => m.id !== alice.demo.distributionMailId)!;
    const introRead = await readMessage('INBOX', intro.id, { user: alice.demo.user, store: alice.store, validator });
    say(`4. bob sent alice a signed message; alice read it (status ${introRead.report.status}) and her address book now holds bob's encryption certificate.`);

    const sent = await sendMessage(
      { to: [bob.demo.user.address], subject: 'Quarterly figures', text: 'Hello Bob,\n\nthe figures are final. Only you can read this, and you can check it is from me.\n\nAlice\n' },
      { user: alice.demo.user, policy: await policyOf(alice.demo), store: alice.store, resolveRecipients: recipientResolver({ userDir: alice.demo.user.dir, policy: await policyOf(alice.demo), validator }), transport },
    );
    if (sent.kind !== 'sent') throw new Error(`alice's message was not sent: ${sent.kind === 'queued' ? sent.reason : sent.question}`);
    say(`5. alice sent bob a mail, ${sent.signed ? 'signed' : 'NOT signed'} and ${sent.encrypted ? `encrypted (${sent.cipher?.toUpperCase()}) to bob and herself` : 'NOT encrypted'}.`);

    const incoming = (await bob.demo.user.mailbox.list('INBOX')).find((m) => m.id !== bob.demo.distributionMailId)!;
    const read = await readMessage('INBOX', incoming.id, { user: bob.demo.user, store: bob.store, validator });
    const envelope = read.report.layers.find((l): l is Extract<typeof l, { kind: 'encrypted' }> => l.kind === 'encrypted');
    const signers = read.report.signers.map((s) => `${s.email[0] ?? s.subject} (${s.valid ? 'signature valid' : 'signature INVALID'}, ${s.trusted ? 'trusted' : 'not trusted'})`).join(', ');
    say(`6. bob read it: status ${read.report.status.toUpperCase()}, ${envelope ? `encrypted (${envelope.contentEncryption.toUpperCase()})` : 'NOT encrypted'}, signed by ${signers}.`);
    say(`   Subject (protected): ${read.report.headers.subject ?? ''}`);
    say(`   ─── the message ───\n   ${(read.text ?? '').trim().replace(/\n/g, '\n   ')}`);
    return { status: read.report.status, encrypted: read.report.encrypted };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
