import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CachetError } from '../../errors.js';
import { Maildir } from './maildir.js';
import { Outbox } from './outbox.js';
import { messageBytes, type MessageContent } from './message-content.js';
import type { DeliveryReport, Envelope, Transport } from './transport.js';
import { waitFor } from '../../../test/helpers/wait.js';

const MESSAGE = Buffer.from('From: a@example.org\r\nTo: b@example.org, c@example.org\r\nSubject: x\r\n\r\nbody\r\n');

/** A transport that records what it delivered and can be told to fail, optionally after accepting some recipients. */
class RecordingTransport implements Transport {
  readonly delivered: Array<{ to: string; message: Buffer }> = [];
  failWith: { acceptFirst: number } | null = null;
  async deliver(envelope: Envelope, content: MessageContent): Promise<DeliveryReport> {
    const message = await messageBytes(content);
    const accepted: string[] = [];
    for (const [index, to] of envelope.to.entries()) {
      if (this.failWith && index >= this.failWith.acceptFirst) {
        throw new CachetError('ERR_MAIL_SEND_FAILED', 'connection lost after DATA', { details: { accepted } });
      }
      this.delivered.push({ to, message: Buffer.from(message) });
      accepted.push(to);
    }
    return { accepted, refused: [] };
  }
}

function fresh(): { dir: string; mailbox: Maildir; outbox: () => Outbox } {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-outbox-'));
  const mailbox = new Maildir(join(dir, 'mail'));
  return { dir, mailbox, outbox: () => new Outbox(mailbox, join(dir, 'outbox.json')) };
}

test('the message is on disk in the Outbox before any attempt, and survives a failed send and a restart', async () => {
  const { dir, mailbox, outbox } = fresh();
  try {
    const transport = new RecordingTransport();
    transport.failWith = { acceptFirst: 0 };
    const [id] = await outbox().enqueue('<m1@example.org>', [{ envelope: { from: 'a@example.org', to: ['b@example.org'] }, message: MESSAGE }]);
    // A "crash" here (a new Outbox on the same files) still sees it, byte for byte.
    assert.deepEqual(await mailbox.read('Outbox', id!), MESSAGE);
    const failed = await outbox().flush(transport);
    assert.deepEqual(failed.sent, []);
    assert.equal(failed.pending.length, 1);
    assert.equal(failed.pending[0]!.lastError?.code, 'ERR_MAIL_SEND_FAILED');
    assert.deepEqual(failed.pending[0]!.remaining, ['b@example.org']);
    assert.deepEqual(await mailbox.read('Outbox', id!), MESSAGE, 'nothing lost');

    transport.failWith = null;
    const retried = await outbox().flush(transport);
    assert.deepEqual(retried.sent, [id]);
    assert.equal(transport.delivered.length, 1);
    assert.deepEqual(transport.delivered[0]!.message, MESSAGE);
    assert.deepEqual(await outbox().pending(), []);
    await assert.rejects(mailbox.read('Outbox', id!), (error: CachetError) => error.code === 'ERR_MAIL_NOT_FOUND');
    // Retrying again sends nothing: no duplicate.
    await outbox().flush(transport);
    assert.equal(transport.delivered.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failure after some recipients were accepted retries only the others: each gets it exactly once', async () => {
  const { dir, outbox } = fresh();
  try {
    const transport = new RecordingTransport();
    transport.failWith = { acceptFirst: 1 };
    await outbox().enqueue('<m2@example.org>', [{ envelope: { from: 'a@example.org', to: ['b@example.org', 'c@example.org'] }, message: MESSAGE }]);
    const first = await outbox().flush(transport);
    assert.deepEqual(first.pending[0]!.remaining, ['c@example.org']);
    assert.deepEqual(first.pending[0]!.delivered, ['b@example.org']);
    transport.failWith = null;
    const second = await outbox().flush(transport);
    assert.equal(second.sent.length, 1);
    assert.deepEqual(transport.delivered.map((d) => d.to).sort(), ['b@example.org', 'c@example.org']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Delivers like RecordingTransport, but each delivery waits until it is let go. */
class SlowTransport extends RecordingTransport {
  private waiting: Array<() => void> = [];
  started = 0;
  override async deliver(envelope: Envelope, message: MessageContent): Promise<DeliveryReport> {
    this.started++;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return super.deliver(envelope, message);
  }
  release(): void {
    for (const go of this.waiting.splice(0)) go();
  }
}

// The flush reaches the transport after reading the state under its lock: soon, later on a loaded machine.
const until = (condition: () => boolean) => waitFor(condition, 'the delivery the test holds', { everyMs: 5 });

test('a message queued while another is being sent is kept (the flush does not write back an old state)', async () => {
  const { dir, outbox } = fresh();
  try {
    const transport = new SlowTransport();
    const [first] = await outbox().enqueue('<m3@example.org>', [{ envelope: { from: 'a@example.org', to: ['b@example.org'] }, message: MESSAGE }]);
    const flushing = outbox().flush(transport);
    await until(() => transport.started === 1);
    const [second] = await outbox().enqueue('<m4@example.org>', [{ envelope: { from: 'a@example.org', to: ['c@example.org'] }, message: MESSAGE }]);
    transport.release();
    assert.deepEqual((await flushing).sent, [first]);
    assert.deepEqual((await outbox().pending()).map((p) => [p.id, p.remaining]), [[second, ['c@example.org']]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two flushes at once (the web client and "cachet outbox --retry") send each copy exactly once', async () => {
  const { dir, outbox } = fresh();
  try {
    const transport = new SlowTransport();
    await outbox().enqueue('<m5@example.org>', [
      { envelope: { from: 'a@example.org', to: ['b@example.org'] }, message: MESSAGE },
      { envelope: { from: 'a@example.org', to: ['c@example.org'] }, message: MESSAGE },
    ]);
    const one = outbox().flush(transport);
    await until(() => transport.started === 1);
    const other = await outbox().flush(transport);
    assert.deepEqual(other.sent, [], 'the copies being sent are claimed: the second flush leaves them alone');
    assert.equal(other.pending.length, 2);
    // The first flush sends its copies one after the other.
    for (let i = 0; i < 2; i++) {
      await until(() => transport.started === i + 1);
      transport.release();
    }
    assert.equal((await one).sent.length, 2);
    assert.deepEqual(transport.delivered.map((d) => d.to).sort(), ['b@example.org', 'c@example.org']);
    assert.deepEqual(await outbox().pending(), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Above Linux's default pid_max (4194304 is the largest it can be set to): never a live process. */
const DEAD_PID = 4_194_305;

test('a copy another host is sending is left alone until its claim times out (instances on several hosts share the outbox)', async () => {
  const { dir, outbox } = fresh();
  try {
    const [id] = await outbox().enqueue('<m-host@example.org>', [{ envelope: { from: 'a@example.org', to: ['b@example.org'] }, message: MESSAGE }]);
    const statePath = join(dir, 'outbox.json');
    const claimBy = (since: Date) => {
      const state = JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, { sending?: unknown }>;
      // A pid no process has here: on this host that claim would be a dead one's, but it is another host's.
      state[id!]!.sending = { pid: DEAD_PID, host: 'another-host.example', since: since.toISOString() };
      writeFileSync(statePath, JSON.stringify(state));
    };
    assert.throws(() => process.kill(DEAD_PID, 0), /ESRCH/);
    const transport = new RecordingTransport();
    claimBy(new Date());
    assert.deepEqual((await outbox().flush(transport)).sent, [], 'claimed on another host: not sent here');
    assert.equal(transport.delivered.length, 0);
    claimBy(new Date(Date.now() - 2 * 60 * 60 * 1000));
    assert.deepEqual((await outbox().flush(transport)).sent, [id], 'a claim left two hours ago is taken over');
    assert.equal(transport.delivered.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a message whose queueing cannot be recorded is refused whole: an error, and no copy left unseen in the Outbox', async () => {
  const { dir, mailbox, outbox } = fresh();
  try {
    mkdirSync(join(dir, 'outbox.json')); // the state file cannot be read or replaced
    await assert.rejects(
      outbox().enqueue('<m6@example.org>', [{ envelope: { from: 'a@example.org', to: ['b@example.org'] }, message: MESSAGE }]),
      (error: CachetError) => error instanceof CachetError,
    );
    assert.deepEqual(await mailbox.list('Outbox'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('remove gives up on queued copies: out of the state and the folder, never sent afterwards; an unknown id is ERR_MAIL_NOT_FOUND', async () => {
  const { dir, mailbox, outbox } = fresh();
  try {
    const transport = new RecordingTransport();
    transport.failWith = { acceptFirst: 0 };
    const [id] = await outbox().enqueue('<m9@example.org>', [{ envelope: { from: 'a@example.org', to: ['b@example.org'] }, message: MESSAGE }]);
    await outbox().flush(transport);
    await outbox().remove([id!]);
    assert.deepEqual(await outbox().pending(), []);
    await assert.rejects(mailbox.read('Outbox', id!), (error: CachetError) => error.code === 'ERR_MAIL_NOT_FOUND');
    transport.failWith = null;
    await outbox().flush(transport);
    assert.equal(transport.delivered.length, 0, 'a removed copy is never sent');
    await assert.rejects(outbox().remove([id!]), (error: CachetError) => error.code === 'ERR_MAIL_NOT_FOUND');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
