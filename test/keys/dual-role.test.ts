/**
 * Issue 18, "a certificate used the way its owner uses it": a dual-purpose certificate imported with
 * the role "both" (`--role both`, or "b" at the terminal prompt) signs and decrypts, as Thunderbird,
 * Outlook and mutt use such a certificate. Two users each holding one dual certificate as "both"
 * exchange a signed and then a signed and encrypted mail and read both as valid. The role rules:
 * a signing credential imported later takes the signing use from a "both" one, which keeps
 * decrypting; replacing an active signing credential still needs confirmation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCachet } from '../helpers/cli.js';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { certificateDer, pkiFile, privateKey } from '../helpers/pki.js';
import { createMemoryCredentialStore } from '../../src/adapters/keys/memory-store.js';
import { isCachetError } from '../../src/errors.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
let mail: MailHome;

before(async () => {
  mail = await createMailHome({ prefix: 'cachet-dual-role-', users: [{ address: ALICE, p12: 'alice', role: 'both' }, { address: BOB }] });
});
after(() => mail?.remove());

async function inbox(address: string): Promise<Array<{ id: string; subject: string }>> {
  const r = await runCachet(['inbox', '--as', address, '--json'], { env: mail.env });
  return (JSON.parse(r.stdout) as { messages: Array<{ id: string; subject: string }> }).messages;
}

describe('role "both"', () => {
  test('--role both is stored as both; bob answers "b" at the terminal prompt', async () => {
    const list = await runCachet(['cert', 'list', '--as', ALICE, '--json'], { env: mail.env });
    const [credential] = JSON.parse(list.stdout).credentials as Array<{ role: string; active: boolean }>;
    assert.deepEqual({ role: credential!.role, active: credential!.active }, { role: 'both', active: true });
    const prompted = await runCachet(['cert', 'import', pkiFile('bob.p12'), '--as', BOB], { env: mail.env, answers: ['b'] });
    assert.equal(prompted.status, 0, prompted.stderr);
    assert.match(prompted.stdout, /as your signing and encryption certificate: it is dual-purpose and you chose both signing and encryption/);
    const refused = await runCachet(['cert', 'import', pkiFile('frank-sign.p12'), '--as', BOB, '--role', 'both'], { env: mail.env });
    assert.equal(refused.status, 1, 'a signing-only certificate cannot take both');
    assert.match(refused.stderr, /can only be used for signing/);
  });

  test('alice and bob, each with one "both" certificate: signed mail both ways, then a signed and encrypted one that bob decrypts', async () => {
    const intro = await runCachet(['send', '--as', ALICE, '--to', BOB, '--subject', 'Introduction', '--no-encrypt'], { env: mail.env, stdin: 'Hello Bob.' });
    assert.equal(intro.status, 0, intro.stderr);
    const introId = (await inbox(BOB)).find((m) => m.subject === 'Introduction')!.id;
    const readIntro = await runCachet(['read', introId, '--as', BOB, '--json'], { env: mail.env });
    assert.equal(JSON.parse(readIntro.stdout).status, 'valid', readIntro.stdout);
    // Bob has alice's certificate now (harvested); alice needs bob's: he introduces himself too.
    const back = await runCachet(['send', '--as', BOB, '--to', ALICE, '--subject', 'Hi', '--no-encrypt'], { env: mail.env, stdin: 'Hi Alice.' });
    assert.equal(back.status, 0, back.stderr);
    const backId = (await inbox(ALICE)).find((m) => m.subject === 'Hi')!.id;
    assert.equal(JSON.parse((await runCachet(['read', backId, '--as', ALICE, '--json'], { env: mail.env })).stdout).status, 'valid');
    const secret = await runCachet(['send', '--as', ALICE, '--to', BOB, '--subject', 'Secret'], { env: mail.env, stdin: 'Encrypted to your both-role key.' });
    assert.equal(secret.status, 0, secret.stderr);
    assert.match(secret.stdout, /signed, encrypted/);
    const secretId = (await inbox(BOB)).find((m) => m.subject === '[...]')!.id;
    const read = await runCachet(['read', secretId, '--as', BOB, '--json'], { env: mail.env });
    assert.equal(read.status, 0, read.stderr);
    const report = JSON.parse(read.stdout) as { status: string; encrypted: boolean; text: string };
    assert.equal(report.status, 'valid');
    assert.equal(report.encrypted, true);
    assert.match(report.text, /both-role key/);
  });
});

describe('the role rules of a store', () => {
  const dual = (name: string) => ({ certificate: certificateDer(name), chain: [], privateKeyPkcs8: privateKey(name).export({ format: 'der', type: 'pkcs8' }), role: 'both' as const });

  test('a "both" credential is the active one for signing and for encryption', async () => {
    const store = createMemoryCredentialStore();
    const stored = await store.add(dual('alice'));
    assert.equal((await store.active('signing'))?.id, stored.id);
    assert.equal((await store.active('encryption'))?.id, stored.id);
  });

  test('a later signing credential needs confirmation, then takes the signing use; the "both" one keeps decrypting', async () => {
    const store = createMemoryCredentialStore();
    const first = await store.add(dual('alice'));
    const renewal = { certificate: certificateDer('frank-sign'), chain: [], privateKeyPkcs8: privateKey('frank-sign').export({ format: 'der', type: 'pkcs8' }), role: 'signing' as const };
    await assert.rejects(store.add(renewal), (error: unknown) => isCachetError(error, 'ERR_CERT_EXISTS') && error.details.id === first.id);
    const second = await store.add(renewal, { replaceActive: true });
    assert.equal((await store.active('signing'))?.id, second.id);
    const kept = await store.active('encryption');
    assert.equal(kept?.id, first.id);
    assert.equal(kept?.role, 'encryption', 'it stays active for the use it kept');
    // Removing the new signing credential leaves nothing that may sign: the old one kept only encryption.
    await store.remove(second.id);
    assert.equal(await store.active('signing'), undefined);
    assert.equal((await store.active('encryption'))?.id, first.id);
  });
});
