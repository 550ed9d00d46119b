import { test } from 'node:test';
import assert from 'node:assert/strict';
import PostalMime from 'postal-mime';
import { collectBytes, toByteStream } from '../stream-types.js';
import { forEachAttachment, readDisplayedParts, readPartBodies } from './displayed-parts.js';
import { MIME_LIMITS } from './limits.js';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'));
const MESSAGE = crlf([
  'Subject: parts',
  'Content-Type: multipart/mixed; boundary=outer',
  '',
  '--outer',
  'Content-Type: multipart/alternative; boundary=alt',
  '',
  '--alt',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'caf=C3=A9',
  '--alt',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>café</p>',
  '--alt--',
  '--outer',
  "Content-Type: application/pdf; name*=utf-8''r%C3%A9sum%C3%A9.pdf",
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('%PDF-1.7 the pdf').toString('base64'),
  '--outer',
  'Content-Type: text/plain',
  'Content-Disposition: attachment; filename="=?utf-8?q?notes=E2=80=94v2?=.txt"',
  '',
  'notes, attached',
  '--outer--',
  '',
]);

test('text parts are displayed from the skeleton; every other leaf is an attachment with its decoded name and size', async () => {
  const parts = await readDisplayedParts(() => toByteStream(MESSAGE));
  const email = await PostalMime.parse(parts.skeleton);
  const whole = await PostalMime.parse(MESSAGE);
  assert.equal(email.text?.trim(), 'café');
  assert.match(email.html ?? '', /<p>café<\/p>/);
  assert.deepEqual([email.text, email.html], [whole.text, whole.html], 'rendered as the whole message is');
  assert.deepEqual(parts.attachments, [
    { index: 0, filename: 'résumé.pdf', contentType: 'application/pdf', size: 16 },
    { index: 1, filename: 'notes—v2.txt', contentType: 'text/plain', size: 15 },
  ]);
  assert.ok(!parts.skeleton.includes('the pdf') && !parts.skeleton.includes('notes, attached'), 'attachments stay out of the skeleton');
  const contents: string[] = [];
  await forEachAttachment(toByteStream(MESSAGE), parts, async (a, content) => void contents.push(`${a.filename}:${(await collectBytes(content)).toString()}`));
  assert.deepEqual(contents, ['résumé.pdf:%PDF-1.7 the pdf', 'notes—v2.txt:notes, attached']);
});

test('a text part beyond the displayed-text limit is offered as an attachment, whole, with a warning', async () => {
  const big = 'x'.repeat(MIME_LIMITS.maxDisplayedBytes + 10);
  const message = crlf(['Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain', '', 'shown', '--b', 'Content-Type: text/plain', '', big, '--b--', '']);
  const parts = await readDisplayedParts(() => toByteStream(message));
  assert.equal((await PostalMime.parse(parts.skeleton)).text?.trim(), 'shown');
  assert.equal(parts.attachments[0]?.size, big.length);
  assert.match(parts.warnings.join(' '), /too large to show/);
  let saved = 0;
  await forEachAttachment(toByteStream(message), parts, async (_a, content) => void (saved = (await collectBytes(content)).length));
  assert.equal(saved, big.length);
});

test('readPartBodies: the bodies at the asked paths, within the budget', async () => {
  const bodies = await readPartBodies(toByteStream(MESSAGE), ['1.2', '3', '9'], 8);
  assert.deepEqual([...bodies.keys()].sort(), ['1.2', '3']);
  assert.equal(bodies.get('1.2')!.body.toString(), '<p>café');
  assert.equal(bodies.get('1.2')!.complete, false);
  assert.equal(bodies.get('3')!.body.length, 0, 'nothing is left of the budget');
});
