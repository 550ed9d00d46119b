import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conversationOf, threadIds } from './threads.js';

const entry = (id: string, messageId: string | null, references: string[] = [], date = '2026-03-02T12:00:00Z') => ({ id, folder: 'INBOX', messageId, references, date });

test('messages are one thread through the ids they name, even with the message between them missing', () => {
  const a = entry('1', '<a@x>');
  const c = entry('3', '<c@x>', ['<a@x>', '<b@x>']); // <b@x> was deleted
  const d = entry('4', '<d@x>', ['<b@x>']);
  const other = entry('5', '<e@x>');
  const ids = threadIds([d, c, a, other]);
  assert.equal(ids.get(a), ids.get(c));
  assert.equal(ids.get(c), ids.get(d));
  assert.notEqual(ids.get(a), ids.get(other));
});

test('a conversation is oldest first, each Message-ID once, and a message without one stands alone', () => {
  const a = entry('1', '<a@x>', [], '2026-03-02T12:00:00Z');
  const b = entry('2', '<b@x>', ['<a@x>'], '2026-03-02T13:00:00Z');
  const copy = { ...entry('7', '<b@x>', ['<a@x>'], '2026-03-02T13:00:00Z'), folder: 'Sent' };
  const bare = entry('9', null);
  assert.deepEqual(conversationOf([b, copy, a, bare], b).map((e) => e.id), ['1', '2']);
  assert.deepEqual(conversationOf([b, a, bare], bare).map((e) => e.id), ['9']);
});
