/**
 * Issue 14 in the web client: a message is read as it streams (the same read as the CLI's), each
 * attachment is served alone with its exact bytes, and a message beyond a limit is refused with
 * ERR_LIMIT_EXCEEDED and stays in the mailbox, unread.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addUser, setLoginPassword, type LocalUser } from '../../src/use-cases/users.js';
import { isCachetError } from '../../src/errors.js';
import { MIME_LIMITS } from '../../src/engine/mime/limits.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';

const ADDRESS = 'alice@example.com';
let home: string;
let alice: LocalUser;
let client: ClientMailService;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'cachet-web-bounded-'));
  alice = await addUser(home, ADDRESS);
  await setLoginPassword(alice, 'alice-password');
  client = new ClientMailService(home);
  assert.equal(await client.authenticate(ADDRESS, 'alice-password'), true);
});
after(() => rmSync(home, { recursive: true, force: true }));

const attachment = (name: string, content: Buffer) =>
  `--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="${name}"\r\n\r\n${content.toString('base64')}\r\n`;

test('each attachment is listed and served alone, with its exact bytes (duplicate names included)', async () => {
  const contents = [Buffer.from('first'), Buffer.from([0, 1, 2, 255]), Buffer.alloc(300_000, 7)];
  const body = ['report.pdf', 'report.pdf', '..'].map((name, i) => attachment(name, contents[i]!)).join('');
  const id = await alice.mailbox.deliver('INBOX', Buffer.from(`From: bob@example.com\r\nTo: ${ADDRESS}\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThree files.\r\n${body}--b--\r\n`));
  const view = await client.readMessage(ADDRESS, 'INBOX', id);
  assert.match(view.text ?? '', /Three files/);
  assert.deepEqual(view.attachments.map((a) => [a.index, a.filename, a.size]), [[0, 'report.pdf', 5], [1, 'report.pdf', 4], [2, '..', 300_000]]);
  for (const [index, expected] of contents.entries()) {
    const download = await client.attachment(ADDRESS, 'INBOX', id, index);
    assert.equal(download.size, expected.length);
    assert.deepEqual(Buffer.from(await new Response(download.content).arrayBuffer()), expected);
  }
  await assert.rejects(client.attachment(ADDRESS, 'INBOX', id, 3), (e) => isCachetError(e, 'ERR_MAIL_NOT_FOUND'));
});

test('a large attachment streams to the browser chunk by chunk; one left half-read lets the next reading go on', async () => {
  const big = Buffer.alloc(24 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
  const id = await alice.mailbox.deliver('INBOX', Buffer.from(`From: bob@example.com\r\nTo: ${ADDRESS}\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nA big file.\r\n${attachment('big.bin', big)}--b--\r\n`));
  const download = await client.attachment(ADDRESS, 'INBOX', id, 0);
  const reader = download.content.getReader();
  const first = await reader.read();
  // Handed over in pieces, not as the whole 24 MiB decoded at once.
  assert.ok(first.value && first.value.length > 0 && first.value.length < big.length, `first chunk ${first.value?.length}`);
  await reader.cancel();
  // One cancelled before its first chunk was asked for (the browser went away at once) lets go too.
  await (await client.attachment(ADDRESS, 'INBOX', id, 0)).content.cancel();
  const again = await client.attachment(ADDRESS, 'INBOX', id, 0);
  assert.equal(createHash('sha256').update(Buffer.from(await new Response(again.content).arrayBuffer())).digest('hex'), createHash('sha256').update(big).digest('hex'));
  assert.match((await client.readMessage(ADDRESS, 'INBOX', id)).text ?? '', /A big file/);
});

test('a message beyond the part limit: ERR_LIMIT_EXCEEDED, and it stays in the INBOX, unread', async () => {
  const parts = Array.from({ length: MIME_LIMITS.maxParts + 1 }, () => '--b\r\n\r\nx\r\n').join('');
  const id = await alice.mailbox.deliver('INBOX', Buffer.from(`From: mallory@example.com\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n${parts}--b--\r\n`));
  await assert.rejects(client.readMessage(ADDRESS, 'INBOX', id), (e) => isCachetError(e, 'ERR_LIMIT_EXCEEDED') && e.details['limit'] === 'maxParts');
  const listed = (await client.listMessages(ADDRESS, 'INBOX')).find((m) => m.id === id);
  assert.equal(listed?.seen, false);
});
