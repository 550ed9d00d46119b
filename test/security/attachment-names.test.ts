/**
 * Issue 14: `read --save-attachments` with an attachment named ".." exited 3 and skipped every later
 * attachment, and two attachments of one name overwrote each other silently. A sender's name never
 * reaches the file system as a path: every attachment is saved, in the directory, under a name of
 * its own, and no file there is overwritten.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { runCachet } from '../helpers/cli.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { safeAttachmentName } from '../../src/front-ends/cli/attachment-files.js';

const USER = 'bob@example.com';
let home: MailHome;
let work: string;
before(async () => {
  home = await createMailHome({ prefix: 'cachet-attnames-', users: [{ address: USER }] });
  work = mkdtempSync(join(tmpdir(), 'cachet-attnames-work-'));
});
after(() => {
  home.remove();
  rmSync(work, { recursive: true, force: true });
});

function attachment(name: string | undefined, content: string): string {
  const disposition = name === undefined ? 'attachment' : `attachment; filename="${name}"`;
  return `--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: ${disposition}\r\n\r\n${Buffer.from(content).toString('base64')}\r\n`;
}

test('every attachment is saved under a safe, unique name; nothing is overwritten or written outside', async () => {
  const names = ['..', '../../outside.txt', 'report.pdf', 'report.pdf', '.bashrc', '/etc/passwd', 'invoice\u202Efdp.exe', 'a\u0007\u001b[2Jb.txt', undefined, 'report.pdf'];
  const body = names.map((name, i) => attachment(name, `content ${i}`)).join('');
  const message = `From: mallory@example.com\r\nTo: ${USER}\r\nSubject: Files\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the files.\r\n${body}--b--\r\n`;
  const id = await new Maildir(join(home.userDir(USER), 'mail')).deliver('INBOX', Buffer.from(message));
  const dir = join(work, 'inner', 'saved');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.pdf'), 'mine, from before');

  const run = await runCachet(['read', id, '--as', USER, '--json', '--save-attachments', dir], { env: home.env });
  assert.equal(run.status, 0, run.stderr);
  const { attachments } = JSON.parse(run.stdout) as { attachments: Array<{ index: number; filename: string; savedAs: string }> };
  assert.equal(attachments.length, names.length, 'no attachment is skipped');
  const saved = attachments.map((a) => a.savedAs);
  assert.equal(new Set(saved).size, saved.length, 'each under a name of its own');
  for (const [i, path] of saved.entries()) {
    assert.equal(dirname(path), dir, `${path} is in the directory`);
    assert.equal(readFileSync(path, 'utf8'), `content ${i}`);
    const name = basename(path);
    assert.ok(!name.startsWith('.') && ![...name].some((c) => c.codePointAt(0)! < 0x20 || c === '\u007f' || c === '\u202e' || c === '\\'), `${name} is a plain name`);
  }
  assert.equal(readFileSync(join(dir, 'report.pdf'), 'utf8'), 'mine, from before', 'an existing file is not overwritten');
  assert.deepEqual(readdirSync(join(work, 'inner')), ['saved'], 'nothing beside the directory');
  assert.deepEqual(readdirSync(work), ['inner']);
  assert.equal(readdirSync(dir).length, names.length + 1);
  assert.equal(basename(saved[0]!), 'attachment-1');
  assert.deepEqual(saved.filter((p) => /report/.test(p)).map((p) => basename(p)), ['report (2).pdf', 'report (3).pdf', 'report (4).pdf']);
  assert.equal(basename(saved[4]!), 'bashrc');
});

test('safeAttachmentName: long names keep their extension within the limit', () => {
  const long = safeAttachmentName(`${'ü'.repeat(300)}.pdf`, 0);
  assert.ok(Buffer.byteLength(long) <= 200);
  assert.match(long, /\.pdf$/);
  assert.equal(safeAttachmentName('   ', 2), 'attachment-3');
  assert.equal(safeAttachmentName('///', 0), 'attachment-1');
});
