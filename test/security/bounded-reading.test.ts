/**
 * Issue 14, "bounded work for everything a stranger can send": reading a message costs memory
 * bounded by the limits, not by its size (a 215 MB mail peaked at 1.3 GB in `cachet read`, two million
 * empty parts at ~520 MB in `cachet open`), and a message beyond a limit is refused with its code and
 * left in the mailbox as it was. Peak RSS is measured in a child process (its own), and the bounds
 * asserted are generous: they catch holding the message, not small regressions.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readdirSync, statSync, writeSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { runCachet } from '../helpers/cli.js';
import { MIME_LIMITS } from '../../src/engine/mime/limits.js';
import { openMessage } from '../../src/engine/smime/open.js';
import { isCachetError } from '../../src/errors.js';
import { toByteStream } from '../../src/engine/stream-types.js';
import { childEnv } from '../helpers/child-env.js';

const CHILD = fileURLToPath(new URL('./bounded-reading-child.ts', import.meta.url));
const USER = 'bob@example.com';
const MiB = 1024 * 1024;

let home: MailHome;
let work: string;
before(async () => {
  home = await createMailHome({ prefix: 'cachet-bounded-', users: [{ address: USER }] });
  work = mkdtempSync(join(tmpdir(), 'cachet-bounded-work-'));
});
after(() => {
  home.remove();
  rmSync(work, { recursive: true, force: true });
});

interface ChildRun {
  maxRssMb: number;
  status: number;
  stdout: string;
  stderr: string;
}

function child(args: string[]): ChildRun {
  const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, ...args], { encoding: 'utf8', maxBuffer: 64 * MiB, env: childEnv() });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildRun;
}

const inbox = () => join(home.userDir(USER), 'mail', 'INBOX');

/** Puts a message file straight into the INBOX (as a delivery agent would), returning its id. */
function deliverFile(id: string, write: (fd: number) => void): string {
  const fd = openSync(join(inbox(), 'new', id), 'wx', 0o600);
  try {
    write(fd);
  } finally {
    closeSync(fd);
  }
  return id;
}

test('open: two million empty parts in 8 MB are refused by the part limit, in bounded memory', () => {
  const file = join(work, 'empty-parts.eml');
  writeFileSync(file, Buffer.concat([Buffer.from('Content-Type: multipart/mixed; boundary=b\n\n'), Buffer.from('--b\n'.repeat(2_000_000)), Buffer.from('--b--\n')]));
  const run = child(['open', file]);
  assert.equal(run.status, 1, run.stderr);
  const { error } = JSON.parse(run.stdout) as { error: { code: string; details: { limit: string } } };
  assert.equal(error.code, 'ERR_LIMIT_EXCEEDED');
  assert.equal(error.details.limit, 'maxParts');
  // ~520 MB before the split stopped at the limit; ~130 MB now (a process with the CLI loaded is ~100 MB).
  assert.ok(run.maxRssMb < 250, `peak RSS ${run.maxRssMb.toFixed(0)} MB`);
});

test('read: a ~200 MB message is shown and its attachment saved in bounded memory', () => {
  const block = randomBytes(57 * 1024); // 57 bytes make one 76-character base64 line
  const blocks = Math.ceil((146 * MiB) / block.length);
  const lines = block.toString('base64').replace(/.{76}/g, '$&\r\n');
  const digest = createHash('sha256');
  const id = deliverFile('1700000000.big.test', (fd) => {
    writeSync(fd, `From: alice@example.com\r\nTo: ${USER}\r\nSubject: The archive\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n`);
    writeSync(fd, '--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe archive is attached.\r\n');
    writeSync(fd, '--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="archive.bin"\r\n\r\n');
    for (let i = 0; i < blocks; i++) {
      writeSync(fd, lines);
      digest.update(block);
    }
    writeSync(fd, '--b1--\r\n');
  });
  assert.ok(statSync(join(inbox(), 'new', id)).size > 195 * MiB);
  const saveDir = join(work, 'saved');
  const run = child(['read', home.home, USER, id, saveDir]);
  assert.equal(run.status, 0, run.stderr);
  const shown = JSON.parse(run.stdout) as { status: string; text: string; attachments: Array<{ filename: string; size: number; savedAs: string }> };
  assert.equal(shown.status, 'not-signed');
  assert.match(shown.text, /The archive is attached/);
  assert.equal(shown.attachments.length, 1);
  assert.equal(shown.attachments[0]!.size, blocks * block.length);
  assert.equal(createHash('sha256').update(readFileSync(shown.attachments[0]!.savedAs)).digest('hex'), digest.digest('hex'));
  // 1.3 GB for a 215 MB message before it streamed.
  assert.ok(run.maxRssMb < 400, `peak RSS ${run.maxRssMb.toFixed(0)} MB`);
  rmSync(join(inbox(), 'cur', `${id}:2,S`), { force: true });
});

test('read: a message beyond a limit is refused with its code and left in the mailbox, unread and unchanged', async () => {
  const parts = Array.from({ length: MIME_LIMITS.maxParts + 1 }, (_, i) => `--b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('');
  const message = Buffer.from(`From: mallory@example.com\r\nTo: ${USER}\r\nSubject: Parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n${parts}--b--\r\n`);
  const id = deliverFile('1700000001.parts.test', (fd) => writeSync(fd, message));
  const run = await runCachet(['read', id, '--as', USER, '--json'], { env: home.env });
  assert.equal(run.status, 1, run.stderr);
  const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string; details: { limit: string; folder: string } } };
  assert.equal(error.code, 'ERR_LIMIT_EXCEEDED');
  assert.equal(error.details.limit, 'maxParts');
  assert.match(error.message, /left as it was in INBOX/);
  assert.deepEqual(readdirSync(join(inbox(), 'new')), [id], 'the message is still new (not marked as read)');
  assert.deepEqual(readFileSync(join(inbox(), 'new', id)), message);
});

test('read: too many header bytes in all, and nesting too deep, are refused the same way', async () => {
  const field = `X-Filler: ${'a'.repeat(4000)}\r\n`;
  const bigHeader = field.repeat(Math.ceil(MIME_LIMITS.maxHeaderBytes / field.length) - 2);
  const count = Math.ceil(MIME_LIMITS.maxTotalHeaderBytes / bigHeader.length) + 1;
  const parts = Array.from({ length: count }, (_, i) => `--b\r\n${bigHeader}Content-Type: text/plain\r\n\r\npart ${i}\r\n`).join('');
  const headers = deliverFile('1700000002.headers.test', (fd) => writeSync(fd, `From: mallory@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n${parts}--b--\r\n`));
  let nested = 'Content-Type: text/plain\r\n\r\nleaf';
  for (let i = 0; i < MIME_LIMITS.maxDepth + 2; i++) nested = `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n${nested}\r\n--b${i}--\r\n`;
  const deep = deliverFile('1700000003.deep.test', (fd) => writeSync(fd, `From: mallory@example.com\r\n${nested}`));
  for (const [id, limit] of [
    [headers, 'maxTotalHeaderBytes'],
    [deep, 'maxDepth'],
  ] as const) {
    const run = await runCachet(['read', id, '--as', USER, '--json'], { env: home.env });
    assert.equal(run.status, 1, run.stderr);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; details: { limit: string } } };
    assert.equal(error.code, 'ERR_LIMIT_EXCEEDED');
    assert.equal(error.details.limit, limit);
    assert.ok(readdirSync(join(inbox(), 'new')).includes(id));
  }
});

test('open: the part limit counts every level together', async () => {
  // Two multiparts of 600 parts each: under the limit one by one, over it together.
  const inner = (name: string) => `Content-Type: multipart/mixed; boundary=${name}\r\n\r\n${`--${name}\r\n\r\nx\r\n`.repeat(600)}--${name}--\r\n`;
  const message = `Content-Type: multipart/mixed; boundary=top\r\n\r\n--top\r\n${inner('a')}\r\n--top\r\n${inner('b')}\r\n--top--\r\n`;
  await assert.rejects(
    openMessage(toByteStream(Buffer.from(message)), { decryptors: [] }),
    (e) => isCachetError(e, 'ERR_LIMIT_EXCEEDED') && e.details['limit'] === 'maxParts',
  );
});
