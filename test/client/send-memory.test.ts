/**
 * Sending does not hold a message in memory: `cachet send` of a 100 MiB attachment, signed and
 * encrypted, to the embedded Maildir, each send in its own process. Its peak RSS is that of a 4 MiB
 * send plus little — the growth is bounded far below the message (which is ~180 MB as sent), where
 * the buffered path held it three to four times — and an absolute ceiling is a sanity check. The
 * growth, not an absolute figure, is what does not depend on what tsx and the runtime take on a given
 * machine (test/interop/signing/streaming.test.ts measures the engine alone the same way).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { certificateDer } from '../helpers/pki.js';
import { AddressBook } from '../../src/adapters/directory/address-book.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';

const CHILD = fileURLToPath(new URL('./send-memory-child.ts', import.meta.url));
const LARGE_MIB = 100;
const SMALL_MIB = 4;
const MAX_GROWTH_MB = 64;
const CEILING_MB = 256;

let work: string;
let mail: MailHome;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'cachet-send-memory-'));
  mail = await createMailHome({ prefix: 'cachet-send-memory-home-', users: [{ address: 'alice@example.com', p12: 'alice', role: 'both' }, { address: 'bob@example.com', p12: 'bob', role: 'both' }] });
  await AddressBook.change(mail.userDir('alice@example.com'), (book) => void book.add(certificateDer('bob'), 'import', new Date()));
});
after(() => {
  mail?.remove();
  rmSync(work, { recursive: true, force: true });
});

function attachmentOf(mebibytes: number): string {
  const path = join(work, `${mebibytes}.bin`);
  const fd = openSync(path, 'w');
  for (let i = 0; i < mebibytes; i++) writeSync(fd, randomBytes(1024 * 1024));
  closeSync(fd);
  return path;
}

function sendInChild(mebibytes: number): number {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CHILD, mail.home, attachmentOf(mebibytes)], { env: { ...process.env, CACHET_VAULT_PASSPHRASE: mail.env.CACHET_VAULT_PASSPHRASE }, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as { status: number; stdout: string; stderr: string; maxRssMb: number };
  assert.equal(report.status, 0, report.stderr);
  assert.equal((JSON.parse(report.stdout) as { kind: string }).kind, 'sent');
  return report.maxRssMb;
}

test(`cachet send of ${LARGE_MIB} MiB signed and encrypted: peak RSS within ${MAX_GROWTH_MB} MB of a ${SMALL_MIB} MiB send`, { timeout: 300_000 }, async (t) => {
  const small = sendInChild(SMALL_MIB);
  const large = sendInChild(LARGE_MIB);
  t.diagnostic(`peak RSS: ${small.toFixed(0)} MB for ${SMALL_MIB} MiB, ${large.toFixed(0)} MB for ${LARGE_MIB} MiB`);
  // It did arrive, whole: bob's copy is larger than the attachment (base64, then CMS, then base64).
  const inbox = await new Maildir(join(mail.userDir('bob@example.com'), 'mail')).list('INBOX');
  assert.equal(inbox.length, 2);
  assert.ok(inbox.some((m) => m.size > LARGE_MIB * 1024 * 1024 * 1.7), JSON.stringify(inbox.map((m) => m.size)));
  assert.ok(large - small < MAX_GROWTH_MB, `peak RSS ${large.toFixed(0)} MB for ${LARGE_MIB} MiB against ${small.toFixed(0)} MB for ${SMALL_MIB} MiB`);
  assert.ok(large < CEILING_MB, `peak RSS ${large.toFixed(0)} MB`);
});
