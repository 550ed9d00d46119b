import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHeaderBlock } from '../mime/headers.js';
import { effectiveHeaders, protectedHeaderBlock } from './protected-headers.js';

const block = (text: string) => parseHeaderBlock(Buffer.from(`${text.replace(/\n/g, '\r\n')}\r\n\r\n`, 'latin1'));

test('RFC 9788 hp="cipher": HP-Outer declares the obscured Subject, so it is no difference', () => {
  const outer = block('From: alice@example.com\nTo: bob@example.com\nSubject: [...]');
  const inner = block(
    'Content-Type: multipart/mixed; boundary=x; hp="cipher"\nFrom: alice@example.com\nTo: bob@example.com\nSubject: Merger plans\nHP-Outer: From: alice@example.com\nHP-Outer: To: bob@example.com\nHP-Outer: Subject: [...]',
  );
  const shown = effectiveHeaders(outer, inner);
  assert.equal(shown.scheme, 'rfc9788');
  assert.equal(shown.protected, true);
  assert.equal(shown.subject, 'Merger plans');
  assert.deepEqual(shown.differences, []);
});

test('RFC 9788: an outer field changed after sending (not what HP-Outer declared) is a difference', () => {
  const outer = block('From: mallory@example.com\nSubject: [...]');
  const inner = block('Content-Type: text/plain; hp="clear"\nFrom: alice@example.com\nSubject: Hi\nHP-Outer: From: alice@example.com\nHP-Outer: Subject: [...]');
  const shown = effectiveHeaders(outer, inner);
  assert.equal(shown.from, 'alice@example.com');
  assert.deepEqual(shown.differences, [{ field: 'from', outer: 'mallory@example.com', protected: 'alice@example.com' }]);
});

test('Thunderbird protected-headers="v1": inner Subject over the "..." outer one; outer-only fields listed', () => {
  const outer = block('From: alice@example.com\nTo: bob@example.com\nSubject: ...\nDate: Mon, 1 Jan 2024 10:00:00 +0000');
  const inner = block('Content-Type: multipart/mixed; boundary="b"; protected-headers="v1"\nFrom: alice@example.com\nTo: bob@example.com\nSubject: =?UTF-8?Q?Caf=C3=A9?=');
  const shown = effectiveHeaders(outer, inner);
  assert.equal(shown.scheme, 'protected-headers-v1');
  assert.equal(shown.subject, 'Café');
  assert.equal(shown.date, 'Mon, 1 Jan 2024 10:00:00 +0000');
  assert.deepEqual(shown.unprotected, ['date']);
  assert.deepEqual(shown.differences, []);
});

test('no layer at the root: nothing is protected, the outer header is shown', () => {
  const shown = effectiveHeaders(block('From: a@example.com\nSubject: plain'), undefined);
  assert.equal(shown.protected, false);
  assert.equal(shown.scheme, null);
  assert.equal(shown.subject, 'plain');
});

test('folding differences are not reported as changes', () => {
  const shown = effectiveHeaders(block('Subject: a long\n  subject'), block('Subject: a long subject'));
  assert.deepEqual(shown.differences, []);
});

test('RFC 8551 §3.1 message/rfc822 wrapper: the embedded message header is the protected one', () => {
  const wrapper = block('Content-Type: message/rfc822');
  const embedded = Buffer.from('From: alice@example.com\r\nSubject: Inner\r\n\r\nbody\r\n');
  const outer = block('From: alice@example.com\r\nSubject: Outer');
  const inner = protectedHeaderBlock(wrapper, () => embedded, outer);
  const shown = effectiveHeaders(outer, inner);
  assert.equal(shown.subject, 'Inner');
  assert.deepEqual(shown.differences.map((d) => d.field), ['subject']);
});

test("a message/rfc822 of another author (a forward as attachment) is content, not the message's header", () => {
  const forward = block('Content-Type: message/rfc822');
  const original = Buffer.from('From: alice@example.com\r\nSubject: Quarterly figures\r\n\r\nbody\r\n');
  const outer = block('From: bob@example.com\r\nSubject: Fwd: Quarterly figures');
  const shown = effectiveHeaders(outer, protectedHeaderBlock(forward, () => original, outer));
  assert.equal(shown.from, 'bob@example.com');
  assert.equal(shown.subject, 'Fwd: Quarterly figures');
  assert.equal(shown.protected, false);
  // Declared a wrapper (RFC 9788 forwarded=no): the embedded header is the protected one, whoever it names.
  const declared = effectiveHeaders(outer, protectedHeaderBlock(block('Content-Type: message/rfc822; forwarded=no'), () => original, outer));
  assert.equal(declared.from, 'alice@example.com');
});
