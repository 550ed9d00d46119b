import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Maildir } from './maildir.js';

test('a message streamed in is stored whole, and read back as content as often as asked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-maildir-'));
  try {
    const maildir = new Maildir(dir);
    const parts = ['From: a@example.org\r\n', 'Subject: parts\r\n\r\n', 'x'.repeat(3 * 1024 * 1024)];
    const id = await maildir.deliver('Outbox', { read: async function* () { for (const part of parts) yield Buffer.from(part); } }, { seen: true });
    const content = await maildir.content('Outbox', id);
    for (let i = 0; i < 2; i++) {
      const chunks: Buffer[] = [];
      for await (const chunk of content.read()) chunks.push(Buffer.from(chunk));
      assert.equal(Buffer.concat(chunks).toString('latin1'), parts.join(''));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a stream that fails half-way leaves no message, and nothing behind in tmp/', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-maildir-'));
  try {
    const maildir = new Maildir(dir);
    const failing = {
      read: async function* () {
        yield Buffer.from('From: a@example.org\r\n\r\nthe first half');
        throw new Error('the source broke');
      },
    };
    await assert.rejects(maildir.deliver('Outbox', failing), /the source broke/);
    assert.deepEqual(await maildir.list('Outbox'), []);
    assert.deepEqual(readdirSync(join(dir, 'Outbox', 'tmp')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('listing while other readers mark messages read and flag them: every message once, never ENOENT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-maildir-'));
  try {
    const maildir = new Maildir(dir);
    const ids: string[] = [];
    for (let n = 0; n < 40; n++) ids.push(await maildir.deliver('INBOX', Buffer.from(`Subject: ${n}\r\n\r\nbody\r\n`)));
    const changes = (async () => {
      for (const id of ids) {
        await maildir.markSeen('INBOX', id);
        await maildir.setFlags('INBOX', id, { flagged: true });
      }
    })();
    const lists: string[][] = [];
    let done = false;
    void changes.finally(() => (done = true));
    while (!done) lists.push((await maildir.list('INBOX')).map((m) => m.id));
    await changes;
    lists.push((await maildir.list('INBOX')).map((m) => m.id));
    for (const listed of lists) assert.deepEqual(listed, [...ids].sort(), 'each message listed once');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one message read and marked read by several readers at once: each reads it whole, none fails', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-maildir-'));
  try {
    const maildir = new Maildir(dir);
    const body = 'y'.repeat(100_000);
    for (let round = 0; round < 20; round++) {
      const id = await maildir.deliver('INBOX', Buffer.from(`Subject: ${round}\r\n\r\n${body}`));
      const readAndMark = async (): Promise<number> => {
        const content = await maildir.content('INBOX', id);
        let size = 0;
        for await (const chunk of content.read()) size += chunk.length;
        await maildir.markSeen('INBOX', id);
        return size;
      };
      const sizes = await Promise.all([readAndMark(), readAndMark(), readAndMark()]);
      assert.ok(sizes.every((size) => size === sizes[0] && size > body.length), String(sizes));
      assert.equal((await maildir.list('INBOX')).find((m) => m.id === id)?.seen, true);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
