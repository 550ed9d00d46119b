/**
 * Issue 14 in the web client: a message is read as it streams (the same read as the CLI's), each
 * attachment is served alone with its exact bytes, and a message beyond a limit is refused with
 * ERR_LIMIT_EXCEEDED and stays in the mailbox, unread.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
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
  for (const [index, expected] of contents.entries()) assert.deepEqual(Buffer.from((await client.attachment(ADDRESS, 'INBOX', id, index)).data), expected);
  await assert.rejects(client.attachment(ADDRESS, 'INBOX', id, 3), (e) => isCachetError(e, 'ERR_MAIL_NOT_FOUND'));
});

test('a message beyond the part limit: ERR_LIMIT_EXCEEDED, and it stays in the INBOX, unread', async () => {
  const parts = Array.from({ length: MIME_LIMITS.maxParts + 1 }, () => '--b\r\n\r\nx\r\n').join('');
  const id = await alice.mailbox.deliver('INBOX', Buffer.from(`From: mallory@example.com\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n${parts}--b--\r\n`));
  await assert.rejects(client.readMessage(ADDRESS, 'INBOX', id), (e) => isCachetError(e, 'ERR_LIMIT_EXCEEDED') && e.details['limit'] === 'maxParts');
  const listed = (await client.listMessages(ADDRESS, 'INBOX')).find((m) => m.id === id);
  assert.equal(listed?.seen, false);
});
