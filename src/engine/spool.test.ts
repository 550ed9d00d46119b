import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { Spool } from './spool.js';
import { collectBytes } from './stream-types.js';
import { isCachetError } from '../errors.js';

test('small content stays in memory and reads back any number of times', async () => {
  const spool = new Spool(1024);
  const reused = Buffer.from('hello ');
  await spool.write(reused);
  reused.fill(0x78); // the producer reuses its buffer: the spool must have copied
  await spool.write(Buffer.from('world'));
  assert.equal(spool.spillPath, undefined);
  assert.equal((await collectBytes(spool.read())).toString(), 'hello world');
  assert.equal((await spool.bytes()).toString(), 'hello world');
  await spool.dispose();
});

test('beyond the bound it spills to a private 0600 file, removed by dispose', async () => {
  const spool = new Spool(16);
  const parts = Array.from({ length: 50 }, (_, i) => Buffer.from(`part ${i};`));
  for (const part of parts) await spool.write(part);
  const path = spool.spillPath;
  assert.ok(path && existsSync(path));
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const expected = Buffer.concat(parts).toString();
  assert.equal((await collectBytes(spool.read())).toString(), expected);
  assert.equal((await collectBytes(spool.read())).toString(), expected);
  assert.equal(spool.length, expected.length);
  await spool.dispose();
  assert.equal(existsSync(path), false);
  await assert.rejects(spool.write(Buffer.from('late')), (e) => isCachetError(e) && e.code === 'ERR_INTERNAL');
});

test('spilled content reads back exactly across spill-buffer and block boundaries, whatever the chunking', async () => {
  const total = 3 * 1024 * 1024 + 12_345;
  const expected = Buffer.alloc(total);
  for (let i = 0; i < total; i++) expected[i] = (i * 131 + (i >> 12)) & 0xff;
  for (const sizes of [[1 << 20], [4095, 4097, 65_536], [1, 7, 700_001]]) {
    const spool = new Spool(1000);
    const reused = Buffer.alloc(1 << 20);
    for (let offset = 0, k = 0; offset < total; k++) {
      const size = Math.min(sizes[k % sizes.length]!, total - offset);
      // the producer reuses one buffer: what the spool keeps must be its own copy
      expected.copy(reused, 0, offset, offset + size);
      await spool.write(reused.subarray(0, size));
      reused.fill(0xee, 0, size);
      offset += size;
    }
    assert.equal(spool.length, total);
    const [first, second] = await Promise.all([collectBytes(spool.read()), collectBytes(spool.read())]);
    assert.ok(first.equals(expected), `content differs for chunk sizes ${sizes.join(',')}`);
    assert.ok(second.equals(expected));
    await spool.dispose();
  }
});

test('reading midway shows the content so far, and writing may go on after it', async () => {
  const spool = new Spool(10);
  const parts: Buffer[] = [];
  for (let round = 0; round < 3; round++) {
    const part = Buffer.alloc(1_500_000 + round * 3_001, 0x41 + round);
    parts.push(part);
    await spool.write(part);
    assert.ok((await collectBytes(spool.read())).equals(Buffer.concat(parts)), `after round ${round}`);
  }
  assert.equal(typeof spool.spillDirect, 'boolean');
  await spool.dispose();
});

test('a reader that stops early leaves nothing behind, and dispose still removes the file', async () => {
  const spool = new Spool(10);
  await spool.write(Buffer.alloc(2_000_000, 1));
  for await (const chunk of spool.read()) {
    assert.ok(chunk.length > 0);
    break;
  }
  const path = spool.spillPath!;
  await spool.dispose();
  assert.equal(existsSync(path), false);
});

test('reuse: a reader that copies what it keeps gets the exact content in a reused ring, and stopping early hands the ring on only once its reads are done', async () => {
  const total = 9 * 1024 * 1024 + 4321;
  const expected = Buffer.alloc(total);
  for (let i = 0; i < total; i++) expected[i] = (i * 7 + (i >> 16)) & 0xff;
  const spool = new Spool(1000);
  for (let offset = 0; offset < total; offset += 1 << 20) await spool.write(expected.subarray(offset, Math.min(total, offset + (1 << 20))));

  // The reader copies each chunk (as a file writer does) and notes the memory it came in.
  const copies: Buffer[] = [];
  const memories = new Set<ArrayBufferLike>();
  for await (const chunk of spool.read({ reuse: true })) {
    copies.push(Buffer.from(chunk));
    memories.add(chunk.buffer);
  }
  assert.ok(Buffer.concat(copies).equals(expected), 'the content reads back exactly');
  assert.ok(copies.length >= 9, 'read in several chunks');
  // Direct reads share one aligned memory; buffered ones a few buffers: never one per chunk.
  assert.ok(memories.size < copies.length, `the chunks came in reused memory (${memories.size} memories for ${copies.length} chunks)`);

  // Stopped after two chunks while reads were in flight: a later reader still gets everything exactly.
  let taken = 0;
  for await (const _chunk of spool.read({ reuse: true })) if (++taken === 2) break;
  const again: Buffer[] = [];
  for await (const chunk of spool.read({ reuse: true })) again.push(Buffer.from(chunk));
  assert.ok(Buffer.concat(again).equals(expected), 'a reader after an early stop reads the content exactly');
  // Without reuse every chunk is the reader's own.
  const kept = await collectBytes(spool.read());
  assert.ok(kept.equals(expected));
  await spool.dispose();
});
