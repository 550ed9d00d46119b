import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { Spool } from './spool.js';
import { collectBytes } from './stream-types.js';
import { isCachetError } from './errors.js';

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
