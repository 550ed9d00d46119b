/**
 * The outbox: a message is written to the Outbox folder (atomically, fsynced) before any attempt to
 * send it, and leaves it only once every recipient has been accepted. What was accepted is recorded
 * per recipient, so a retry never delivers twice to someone who already has it; when a transport
 * fails mid-way nothing is lost, and `cachet outbox --retry` sends what is left.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CachetError, isCachetError } from '../engine/errors.js';
import type { Maildir } from './maildir.js';
import type { Envelope, Transport } from './transport.js';

interface OutboxEntry {
  envelope: Envelope;
  /** Recipients already accepted by a transport. */
  delivered: string[];
  attempts: number;
  lastError: { code: string; message: string } | null;
  queuedAt: string;
  /** Copies that belong together (one message's To/Cc copy and its Bcc copies). */
  batch: string;
}

export interface PendingMessage extends OutboxEntry {
  id: string;
  remaining: string[];
}

export interface FlushResult {
  sent: string[];
  pending: PendingMessage[];
}

export class Outbox {
  constructor(
    private readonly mailbox: Maildir,
    private readonly statePath: string,
  ) {}

  private async state(): Promise<Record<string, OutboxEntry>> {
    try {
      return JSON.parse(await readFile(this.statePath, 'utf8')) as Record<string, OutboxEntry>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new CachetError('ERR_INPUT_READ', `the outbox state ${this.statePath} cannot be read`, { cause: error });
    }
  }

  private async saveState(state: Record<string, OutboxEntry>): Promise<void> {
    await mkdir(dirname(this.statePath), { recursive: true, mode: 0o700 });
    const temporary = `${this.statePath}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.statePath);
  }

  /** Queues copies of one message; returns their outbox ids. */
  async enqueue(batch: string, copies: Array<{ envelope: Envelope; message: Uint8Array }>): Promise<string[]> {
    const state = await this.state();
    const ids: string[] = [];
    for (const copy of copies) {
      const id = await this.mailbox.deliver('Outbox', copy.message, { seen: true });
      state[id] = { envelope: copy.envelope, delivered: [], attempts: 0, lastError: null, queuedAt: new Date().toISOString(), batch };
      ids.push(id);
    }
    await this.saveState(state);
    return ids;
  }

  async pending(): Promise<PendingMessage[]> {
    const state = await this.state();
    return Object.entries(state).map(([id, entry]) => ({ ...entry, id, remaining: entry.envelope.to.filter((r) => !entry.delivered.includes(r)) }));
  }

  /** Tries to send every queued copy (or only `ids`); returns what went and what stays. */
  async flush(transport: Transport, ids?: string[]): Promise<FlushResult> {
    const state = await this.state();
    const sent: string[] = [];
    for (const [id, entry] of Object.entries(state)) {
      if (ids && !ids.includes(id)) continue;
      const remaining = entry.envelope.to.filter((r) => !entry.delivered.includes(r));
      entry.attempts++;
      try {
        if (remaining.length > 0) {
          const message = await this.mailbox.read('Outbox', id);
          const accepted = await transport.deliver({ from: entry.envelope.from, to: remaining }, message);
          entry.delivered.push(...accepted.filter((a) => remaining.includes(a)));
        }
        entry.lastError = null;
      } catch (error) {
        const accepted = (isCachetError(error) ? (error.details['accepted'] as string[] | undefined) : undefined) ?? [];
        entry.delivered.push(...accepted.filter((a) => remaining.includes(a) && !entry.delivered.includes(a)));
        entry.lastError = isCachetError(error) ? { code: error.code, message: error.message } : { code: 'ERR_MAIL_SEND_FAILED', message: (error as Error).message };
      }
      if (entry.envelope.to.every((r) => entry.delivered.includes(r))) {
        await this.mailbox.remove('Outbox', id);
        delete state[id];
        sent.push(id);
      }
      // Recorded after every copy: a crash between copies repeats nothing already accepted.
      await this.saveState(state);
    }
    const pending = Object.entries(state)
      .filter(([id]) => !ids || ids.includes(id))
      .map(([id, entry]) => ({ ...entry, id, remaining: entry.envelope.to.filter((r) => !entry.delivered.includes(r)) }));
    return { sent, pending };
  }
}
