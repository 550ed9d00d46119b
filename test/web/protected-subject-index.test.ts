/**
 * Issue 16, encrypted subjects, the index behind them (use-cases/protected-subjects.ts), on the demo
 * web client's service (Maildir) and on `cachet server` (Dovecot, per-user vaults under the server's
 * key-encryption key): an opened message's protected Subject is remembered in a sealed index of its
 * own, written after the reading and never in clear; the vault is not rewritten by reading; a moved
 * message keeps its subject; reading works when the index cannot be written; two reads at once both
 * land.
 */
import { after, before, describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoOrganisation, type DemoOrganisation } from '../../src/use-cases/demo-org.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';
import { importFromMail } from '../../src/use-cases/import-from-mail.js';
import { openFileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { VAULT_FILE_NAME } from '../../src/adapters/keys/open-store.js';
import { PROTECTED_SUBJECTS_FILE_NAME, ProtectedSubjectIndex } from '../../src/use-cases/protected-subjects.js';
import { protectHeaders } from '../../src/engine/smime/header-protection.js';
import { encryptEntity } from '../../src/engine/smime/encrypt.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';
import { ImapMailbox } from '../../src/adapters/mail/imap.js';
import { FileWrappedSecretStore, readKeyEncryptionKey, UserKeyCustody } from '../../src/front-ends/server/user-keys.js';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { certificateDer, P12_PASSWORD, pkiFile } from '../helpers/pki.js';
import { runCachet } from '../helpers/cli.js';
import { startInProcess, type InProcessServer } from '../server/support.js';

/** An encrypted message to `certificate` whose Subject is only inside (the outer one reads "[...]"). */
async function encryptedMail(certificate: Uint8Array, to: string, subject: string, messageId: string): Promise<Buffer> {
  const composed = Buffer.from([`From: Bob <bob@example.org>`, `To: ${to}`, `Subject: ${subject}`, `Message-ID: ${messageId}`, 'Date: Mon, 7 Dec 2026 00:00:00 +0000', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', `About ${subject}.`, ''].join('\r\n'));
  const { payload, outerHeader } = await protectHeaders(toByteStream(composed), { mode: 'cipher', obscureSubject: true });
  const sealed = Buffer.concat([outerHeader, await collectBytes(encryptEntity(payload, { recipients: [{ certificate }], cipher: 'aes-256-gcm' }))]);
  assert.ok(!sealed.includes(subject), 'the outer message hides the subject');
  return sealed;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function assertNowhereInClear(roots: string[], words: string[]): void {
  for (const file of roots.flatMap(filesUnder)) for (const word of words) assert.ok(!readFileSync(file).includes(word), `${file} holds "${word}" in clear`);
}

/** The vault file as it stands: its inode and bytes (every vault write renames a new file in). */
function vaultState(path: string): string {
  return `${statSync(path).ino}:${readFileSync(path).toString('base64')}`;
}

describe('the demo web client (Maildir)', () => {
  let home: string;
  let org: DemoOrganisation;
  let service: ClientMailService;
  const logged: Array<{ event: string; fields: Record<string, unknown> }> = [];
  let alice: DemoOrganisation['users'][number];
  let encryptionCertificate: Uint8Array;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'cachet-subject-index-'));
    org = await createDemoOrganisation(home, { passwords: { alice: 'alice-password', bob: 'bob-password' } });
    alice = org.users.find((u) => u.user.address.startsWith('alice@'))!;
    const store = await openFileCredentialStore(join(alice.user.dir, VAULT_FILE_NAME), alice.password, { createIfMissing: true });
    await importFromMail(alice.user, 'INBOX', alice.distributionMailId, store, { password: async () => alice.pfxPassword });
    encryptionCertificate = (await store.active('encryption'))!.certificate;
    service = new ClientMailService(home, Date.now, undefined, (event, fields) => logged.push({ event, fields }));
    assert.ok(await service.authenticate(alice.user.address, alice.password));
  });
  after(async () => {
    await service?.endSession(alice.user.address);
    rmSync(home, { recursive: true, force: true });
  });

  const deliver = async (subject: string) => alice.user.mailbox.deliver('INBOX', await encryptedMail(encryptionCertificate, alice.user.address, subject, `<${randomUUID()}@example.org>`));
  const subjectsIn = async (folder: string) => (await service.listMessages(alice.user.address, folder)).map((m) => m.subject);

  test('remembered after the reading, sealed (nothing in clear on disk), and the vault is not rewritten by reading', async () => {
    const first = await deliver('Project Kestrel');
    const second = await deliver('Project Osprey');
    assert.deepEqual((await subjectsIn('INBOX')).filter((s) => s === '[...]').length, 2);

    assert.equal((await service.readMessage(alice.user.address, 'INBOX', first)).headers.subject, 'Project Kestrel');
    await service.subjectsSettled(alice.user.address);
    assert.ok((await subjectsIn('INBOX')).includes('Project Kestrel'));
    const index = join(alice.user.dir, PROTECTED_SUBJECTS_FILE_NAME);
    assert.ok(statSync(index).isFile(), 'an index of its own');

    // The index key is in the vault now (its one write for this user); reading never writes it again.
    const vault = join(alice.user.dir, VAULT_FILE_NAME);
    const before = vaultState(vault);
    const indexBefore = readFileSync(index);
    await service.readMessage(alice.user.address, 'INBOX', second);
    await service.readMessage(alice.user.address, 'INBOX', first);
    await service.subjectsSettled(alice.user.address);
    assert.equal(vaultState(vault), before, 'the vault file was rewritten by reading');
    assert.ok(!readFileSync(index).equals(indexBefore), 'the new subject went to the index');
    assert.ok((await subjectsIn('INBOX')).includes('Project Osprey'));
    assertNowhereInClear([home], ['Kestrel', 'Osprey']);

    // Signed in again (a new session, nothing in memory): read back from the sealed file.
    await service.endSession(alice.user.address);
    assert.ok(await service.authenticate(alice.user.address, alice.password));
    const listed = await subjectsIn('INBOX');
    assert.ok(listed.includes('Project Kestrel') && listed.includes('Project Osprey'), JSON.stringify(listed));
  });

  test('a moved message keeps its subject', async () => {
    const id = await deliver('Project Harrier');
    await service.readMessage(alice.user.address, 'INBOX', id);
    await service.subjectsSettled(alice.user.address);
    const moved = await service.operations.archiveMessage(alice.user.address, 'INBOX', id);
    assert.notEqual(moved.folder, 'INBOX');
    assert.ok((await subjectsIn(moved.folder)).includes('Project Harrier'), 'the moved message shows its protected Subject');
  });

  test('two reads at once: both subjects land in the index', async () => {
    const ids = [await deliver('Project Merlin'), await deliver('Project Hobby')];
    const views = await Promise.all(ids.map((id) => service.readMessage(alice.user.address, 'INBOX', id)));
    assert.deepEqual(views.map((v) => v.headers.subject), ['Project Merlin', 'Project Hobby']);
    await service.subjectsSettled(alice.user.address);
    await service.endSession(alice.user.address);
    assert.ok(await service.authenticate(alice.user.address, alice.password));
    const listed = await subjectsIn('INBOX');
    assert.ok(listed.includes('Project Merlin') && listed.includes('Project Hobby'), JSON.stringify(listed));
  });

  test('two instances (as cachet server runs them) reading at once: both subjects land in the one index', async () => {
    const other = new ClientMailService(home, Date.now, undefined, (event, fields) => logged.push({ event, fields }));
    assert.ok(await other.authenticate(alice.user.address, alice.password));
    try {
      const [first, second] = [await deliver('Project Swift'), await deliver('Project Tern')];
      await Promise.all([service.readMessage(alice.user.address, 'INBOX', first), other.readMessage(alice.user.address, 'INBOX', second)]);
      await Promise.all([service.subjectsSettled(alice.user.address), other.subjectsSettled(alice.user.address)]);
    } finally {
      await other.endSession(alice.user.address);
    }
    await service.endSession(alice.user.address);
    assert.ok(await service.authenticate(alice.user.address, alice.password));
    const listed = await subjectsIn('INBOX');
    assert.ok(listed.includes('Project Swift') && listed.includes('Project Tern'), JSON.stringify(listed));
  });

  test('searches and conversations show the protected Subject too', async () => {
    const messageId = `<${randomUUID()}@example.org>`;
    const original = await alice.user.mailbox.deliver('INBOX', await encryptedMail(encryptionCertificate, alice.user.address, 'Project Condor', messageId));
    const reply = await alice.user.mailbox.deliver('INBOX', Buffer.from(`From: Bob <bob@example.org>\r\nTo: ${alice.user.address}\r\nSubject: Re: [...]\r\nMessage-ID: <${randomUUID()}@example.org>\r\nIn-Reply-To: ${messageId}\r\nReferences: ${messageId}\r\n\r\nAnd one more thing.\r\n`));
    await service.readMessage(alice.user.address, 'INBOX', original);
    await service.subjectsSettled(alice.user.address);
    const thread = await service.operations.conversation(alice.user.address, 'INBOX', reply);
    assert.ok(thread.some((m) => m.id === original && m.subject === 'Project Condor'), JSON.stringify(thread));
    const found = await service.operations.search(alice.user.address, 'INBOX', { from: 'bob' });
    assert.ok(found.some((m) => m.id === original && m.subject === 'Project Condor'), JSON.stringify(found));
  });

  test('reading works when the index cannot be written; the failure is logged', async () => {
    const index = join(alice.user.dir, PROTECTED_SUBJECTS_FILE_NAME);
    const saved = readFileSync(index);
    // In the index's way: a directory (read-only permissions would not stop root, who runs some CI).
    rmSync(index);
    mkdirSync(index);
    try {
      logged.length = 0;
      const id = await deliver('Project Falcon');
      const view = await service.readMessage(alice.user.address, 'INBOX', id);
      assert.equal(view.text?.trim(), 'About Project Falcon.');
      await service.subjectsSettled(alice.user.address);
      assert.ok(logged.some((l) => l.event === 'protected-subjects-failed' && l.fields['code'] === 'ERR_OUTPUT_WRITE'), JSON.stringify(logged));
      assert.ok(logged.every((l) => !JSON.stringify(l).includes('Falcon')), 'the log never names the subject');
      assert.ok((await subjectsIn('INBOX')).includes('[...]'), 'not remembered, honestly');
    } finally {
      rmSync(index, { recursive: true });
      writeFileSync(index, saved, { mode: 0o600 });
    }
  });
});

describe('cachet server on Dovecot (IMAP), vaults under the server key', () => {
  let mail: MailServers;
  let dir: string;
  let web: InProcessServer;
  let cookie: string;
  let csrf: string;
  const state = () => join(dir, 'state');

  before(async () => {
    mail = await startMailServers(['alice', 'bob']);
    dir = mkdtempSync(join(tmpdir(), 'cachet-subject-index-server-'));
    assert.equal((await runCachet(['server', '--init-key', join(dir, 'kek')])).status, 0);
    web = await startInProcess(
      dir,
      `listen:\n  host: 127.0.0.1\n  port: 0\nsignIn:\n  method: imap\nmail:\n  imap:\n    host: 127.0.0.1\n    port: ${mail.imapsPort}\n    ca: ${pkiFile('ca.pem')}\n    servername: localhost\n  smtp:\n    host: 127.0.0.1\n    port: ${mail.smtpPort}\n    starttls: true\n    ca: ${pkiFile('ca.pem')}\nstate:\n  directory: ${state()}\nkeys:\n  keyEncryptionKeyFile: ${join(dir, 'kek')}\n`,
    );
    // First sign-in makes alice's home and vault key; then the administrator imports her keys.
    const first = await web.login('alice@example.com', 'alice');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const custody = new UserKeyCustody(await readKeyEncryptionKey(join(dir, 'kek')), new FileWrappedSecretStore(join(state(), 'server', 'keys')));
    writeFileSync(join(dir, 'alice-vault'), `${await custody.vaultPassphrase('alice@example.com')}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'p12-password'), `${P12_PASSWORD}\n`);
    const imported = await runCachet(['cert', 'import', pkiFile('alice.p12'), '--role', 'both', '--password-file', join(dir, 'p12-password'), '--passphrase-file', join(dir, 'alice-vault'), '--as', 'alice@example.com'], { env: { CACHET_HOME: state() } });
    assert.equal(imported.status, 0, imported.stderr);
    const signedIn = await web.login('alice@example.com', 'alice');
    cookie = signedIn.cookie!;
    csrf = String(signedIn.body['csrfToken']);
  });
  after(async () => {
    await web?.server.shutdown();
    mail?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await fetch(`${web.server.url}${path}`, { ...init, headers: { cookie, origin: web.server.url, 'x-csrf-token': csrf, ...(init.headers as Record<string, string> | undefined) } });
    assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
    return (await response.json()) as T;
  }
  const list = (folder: string) => api<Array<{ id: string; subject: string }>>(`/api/folders/${encodeURIComponent(folder)}/messages`);

  /** Polls the list (the subject is written after the reading's answer) until `subject` shows in `folder`. */
  async function listedEventually(folder: string, subject: string): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      if ((await list(folder)).some((m) => m.subject === subject)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`"${subject}" never showed in ${folder}: ${JSON.stringify(await list(folder))}`);
  }

  /** Polls until `path` holds other bytes than `previous` (it is written after the reading's answer); returns them. */
  async function writtenEventually(path: string, previous?: Buffer): Promise<Buffer> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const now = (() => {
        try {
          return readFileSync(path);
        } catch {
          return undefined;
        }
      })();
      if (now && !(previous && now.equals(previous))) return now;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`${path} was never written: ${JSON.stringify(web.lines.filter((l) => l['level'] !== 'info'))}`);
  }

  test('the subject survives an IMAP move, nothing in clear in the server state, the vault not rewritten by reading', async () => {
    const imap = new ImapMailbox({ host: '127.0.0.1', port: mail.imapsPort, secure: true, user: 'alice', password: 'alice', ca: mail.ca, servername: 'localhost' });
    try {
      for (const [subject, id] of [['Operation Nightjar', '<nightjar@example.org>'], ['Operation Wren', '<wren@example.org>']] as const) await imap.deliver('INBOX', await encryptedMail(certificateDer('alice'), 'alice@example.com', subject, id));
    } finally {
      await imap.close();
    }
    const inbox = await list('INBOX');
    assert.equal(inbox.filter((m) => m.subject === '[...]').length, 2, JSON.stringify(inbox));
    const [wren, nightjar] = inbox;
    const index = join(state(), 'users', 'alice@example.com', PROTECTED_SUBJECTS_FILE_NAME);
    const opened = await api<{ headers: { subject: string } }>(`/api/folders/INBOX/messages/${nightjar!.id}`);
    assert.equal(opened.headers.subject, 'Operation Nightjar');
    await listedEventually('INBOX', 'Operation Nightjar');
    const firstIndex = await writtenEventually(index);

    // The index key was the vault's one write for her; reading another message leaves the vault as it is.
    const vault = join(state(), 'users', 'alice@example.com', VAULT_FILE_NAME);
    const before = vaultState(vault);
    await api(`/api/folders/INBOX/messages/${wren!.id}`);
    await listedEventually('INBOX', 'Operation Wren');
    await writtenEventually(index, firstIndex);
    assert.equal(vaultState(vault), before, 'the vault file was rewritten by reading');

    const moved = await api<{ folder: string; id: string }>(`/api/folders/INBOX/messages/${nightjar!.id}/move`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'Sent' }) });
    assert.equal(moved.folder, 'Sent');
    assert.ok((await list('Sent')).some((m) => m.id === moved.id && m.subject === 'Operation Nightjar'), 'the moved message keeps its subject');
    assertNowhereInClear([state()], ['Nightjar', 'Wren']);
  });
});

describe('the index itself', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cachet-subject-index-unit-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('bounded (the oldest forgotten first), a burst coalesced, bound to its owner, a damaged file started afresh and said', async () => {
    const vault = await openFileCredentialStore(join(dir, VAULT_FILE_NAME), 'unit-passphrase', { createIfMissing: true });
    // The first version kept the subjects in the vault, keyed folder and id: taken over, and out of the vault.
    await vault.setSecrets({ 'protected-subjects': JSON.stringify({ 'INBOX\u00001': 'Subject 0' }) });
    const errors: unknown[] = [];
    const file = join(dir, PROTECTED_SUBJECTS_FILE_NAME);
    const index = new ProtectedSubjectIndex({ file, owner: 'alice@example.org', vault: async () => vault, onError: (error) => errors.push(error), maxSubjects: 3 });
    for (const n of [1, 2, 3, 4, 5]) index.remember(`<m${n}@example.org>`, `Subject ${n}`);
    index.remember('<m2@example.org>', 'Subject 2, seen again');
    await index.settled();
    assert.equal(errors.length, 0, String(errors));
    assert.equal(await vault.secret('protected-subjects'), undefined, 'no subject left in the vault');
    const reopened = () => new ProtectedSubjectIndex({ file, owner: 'alice@example.org', vault: async () => vault, onError: (error) => errors.push(error), maxSubjects: 3 });
    assert.deepEqual([...(await reopened().subjects())], [
      ['<m4@example.org>', 'Subject 4'],
      ['<m5@example.org>', 'Subject 5'],
      ['<m2@example.org>', 'Subject 2, seen again'],
    ]);

    // Another user's index copied over this one does not open: the seal names its owner.
    const bob = new ProtectedSubjectIndex({ file, owner: 'bob@example.org', vault: async () => vault, onError: (error) => errors.push(error) });
    assert.equal((await bob.subjects()).size, 0);
    assert.ok(errors.some((e) => (e as { code?: string }).code === 'ERR_VAULT_CORRUPT'));

    errors.length = 0;
    writeFileSync(file, '{"format":"cachet-protected-subjects","version":1,"iv":"AAAA","ciphertext":"AAAA","tag":"AAAA"}');
    const damaged = reopened();
    assert.equal((await damaged.subjects()).size, 0, 'a damaged index reads as empty');
    assert.ok(errors.length > 0, 'and is said to the log');
    damaged.remember('<m6@example.org>', 'Subject 6');
    await damaged.settled();
    assert.deepEqual([...(await reopened().subjects())], [['<m6@example.org>', 'Subject 6']], 'started afresh');

    // A writer killed mid-write leaves its temporary file and its lock: the index read is the old one,
    // and the next write breaks the dead writer's lock and lands.
    errors.length = 0;
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    writeFileSync(join(dir, `.${PROTECTED_SUBJECTS_FILE_NAME}.0123456789ab.tmp`), '{"format":"cachet-prot');
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: dead, nonce: 'killed', time: Date.now() }));
    const after = reopened();
    assert.deepEqual([...(await after.subjects())], [['<m6@example.org>', 'Subject 6']], 'the old index, whole');
    after.remember('<m7@example.org>', 'Subject 7');
    await after.settled();
    assert.equal(errors.length, 0, String(errors));
    assert.deepEqual([...(await reopened().subjects())].map(([name]) => name), ['<m6@example.org>', '<m7@example.org>']);
  });
});
