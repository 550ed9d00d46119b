import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectBytes, peek, toByteStream } from './stream-types.js';

/** A source of `count` chunks of `size` bytes (0, 1, 2, … as byte values), that counts its pulls and notes when it is closed. */
function countingSource(count: number, size: number) {
  const state = { pulled: 0, closed: false };
  async function* chunks() {
    try {
      for (let i = 0; i < count; i++) {
        state.pulled++;
        yield Buffer.alloc(size, i);
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, source: chunks() };
}

test('peek: a stream shorter than asked for is all in head, ended, and handed back whole', async () => {
  const { head, ended, stream } = await peek(toByteStream([Buffer.from('abc'), Buffer.alloc(0), Buffer.from('defg')]), 100);
  assert.equal(head.toString(), 'abcdefg');
  assert.equal(ended, true);
  assert.equal((await collectBytes(stream)).toString(), 'abcdefg');
  const empty = await peek(toByteStream([]), 10);
  assert.deepEqual([empty.head.length, empty.ended, (await collectBytes(empty.stream)).length], [0, true, 0]);
});

test('peek: exactly the length asked for, or whole chunks past it; nothing read twice or lost', async () => {
  const exact = countingSource(4, 16);
  const first = await peek(exact.source, 64);
  assert.equal(first.head.length, 64);
  assert.equal(first.ended, false, 'the end is not known before it is read');
  assert.equal(exact.state.pulled, 4);
  assert.equal((await collectBytes(first.stream)).length, 64);

  const across = countingSource(4, 30);
  const second = await peek(across.source, 64);
  assert.equal(second.head.length, 90, 'three whole chunks: a chunk is not split');
  const all = await collectBytes(second.stream);
  assert.equal(all.length, 120);
  assert.deepEqual([...new Set(all)], [0, 1, 2, 3], 'in order');
});

test('peek: head is a copy (a producer may reuse its buffer)', async () => {
  const reused = Buffer.from('first');
  async function* source() {
    yield reused;
    reused.write('XXXXX');
    yield reused;
  }
  const { head, stream } = await peek(source(), 5);
  const chunks: string[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk).toString());
  assert.equal(head.toString(), 'first');
  assert.deepEqual(chunks, ['first', 'XXXXX']);
});

test('peek: an error of the source reaches whoever reads there', async () => {
  const failure = new Error('disk gone');
  async function* early() {
    yield Buffer.from('ab');
    throw failure;
  }
  await assert.rejects(peek(early(), 10), (e) => e === failure, 'while peeking');
  async function* late() {
    yield Buffer.from('abcdefgh');
    throw failure;
  }
  const { head, stream } = await peek(late(), 4);
  assert.equal(head.toString(), 'abcdefgh');
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const chunk of stream) seen.push(Buffer.from(chunk).toString());
    })(),
    (e) => e === failure,
    'while reading the rest',
  );
  assert.deepEqual(seen, ['abcdefgh']);
});

test('peek: the rest is pulled only as it is read (back-pressure), and a reader that stops closes the source', async () => {
  const { state, source } = countingSource(1000, 4);
  const { stream } = await peek(source, 10);
  assert.equal(state.pulled, 3, 'only what the head needs');
  let read = 0;
  for await (const _ of stream) {
    read++;
    // The head is one chunk of three; every later chunk is one pull.
    assert.equal(state.pulled, read === 1 ? 3 : read + 2);
    if (read === 5) break;
  }
  assert.equal(state.pulled, 7, 'nothing read ahead of the reader');
  assert.equal(state.closed, true, 'the source was closed');
});
