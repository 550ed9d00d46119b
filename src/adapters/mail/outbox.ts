/**
 * The outbox: a message is written to the Outbox folder (atomically, fsynced) before any attempt to
 * send it, and leaves it only once every recipient has been accepted. What was accepted is recorded
 * per recipient, so a retry never delivers twice to someone who already has it; when a transport
 * fails mid-way nothing is lost, and `cachet outbox --retry` sends what is left.
 *
 * Several senders share one outbox (the web client sending two messages at once, `cachet outbox
 * --retry` beside it): every change of the state file is a read-modify-write under a lock, and a copy
 * being sent is claimed in the state first, so that no other flush sends it too. The lock is never
 * held while a transport talks to a server.
 */
import { CachetError, isCachetError } from '../../errors.js';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { writeFileAtomically } from '../storage/atomic-file.js';
import { withFileLock } from '../storage/file-lock.js';
import type { Maildir } from './maildir.js';
import type { MessageContent } from './message-content.js';
import type { Envelope, RefusedRecipient, Transport } from './transport.js';

interface OutboxEntry {
  envelope: Envelope;
  /** Recipients already accepted by a transport. */
  delivered: string[];
  attempts: number;
  /** When the last attempt ended (absent before the first, and in states written before it was kept). */
  lastAttemptAt?: string;
  lastError: { code: string; message: string } | null;
  /**
   * Recipients the server refused at the last attempt, with its words (absent in states written
   * before refusals were kept), so the user reads why and whether a retry can help.
   */
  refused?: Record<string, Omit<RefusedRecipient, 'address'>>;
  queuedAt: string;
  /** Copies that belong together (one message's To/Cc copy and its Bcc copies). */
  batch: string;
  /** Set while a process sends this copy: another flush leaves it alone. */
  sending?: Claim;
}

export interface PendingMessage extends OutboxEntry {
  id: string;
  remaining: string[];
}

export interface FlushResult {
  sent: string[];
  pending: PendingMessage[];
}

type OutboxState = Record<string, OutboxEntry>;

/**
 * Who is sending a copy: a process on a machine. Instances of `cachet server` on several hosts may
 * share a user's directory; a pid means something only on its own host. (`host` is absent in
 * claims written before it was kept: this host's.)
 */
interface Claim {
  pid: number;
  host?: string;
  since: string;
}

const THIS_HOST = hostname();
const ownClaim = (claim: Claim | undefined): boolean => claim?.pid === process.pid && (claim.host ?? THIS_HOST) === THIS_HOST;

/** A claim older than this is taken to be left by a process that hung or whose pid was reused. */
const CLAIM_TIMEOUT_MS = 60 * 60 * 1000;

function claimHeld(claim: Claim | undefined, now: number): boolean {
  if (!claim || now - Date.parse(claim.since) > CLAIM_TIMEOUT_MS) return false;
  // Another machine's process cannot be asked whether it still runs: its claim holds until it times out.
  if ((claim.host ?? THIS_HOST) !== THIS_HOST) return true;
  try {
    process.kill(claim.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists (another user's); ESRCH: it is gone, and its claim with it.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const remainingOf = (entry: OutboxEntry): string[] => entry.envelope.to.filter((r) => !entry.delivered.includes(r));

export class Outbox {
  constructor(
    private readonly mailbox: Maildir,
    private readonly statePath: string,
  ) {}

  private async state(): Promise<OutboxState> {
    try {
      return JSON.parse(await readFile(this.statePath, 'utf8')) as OutboxState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new CachetError('ERR_INPUT_READ', `the outbox state ${this.statePath} cannot be read`, { cause: error });
    }
  }

  /** Reads the state, lets `action` change it, and writes it back (synced), under the outbox lock. */
  private changeState<T>(action: (state: OutboxState) => T): Promise<T> {
    return withFileLock(
      `${this.statePath}.lock`,
      async () => {
        const state = await this.state();
        const result = action(state);
        await writeFileAtomically(this.statePath, `${JSON.stringify(state, null, 2)}\n`, 'the outbox state');
        return result;
      },
      { what: 'the outbox' },
    );
  }

  /**
   * Queues copies of one message (each streamed into the Outbox folder, synced and renamed there
   * before it counts as queued); returns their outbox ids.
   */
  async enqueue(batch: string, copies: Array<{ envelope: Envelope; message: MessageContent }>): Promise<string[]> {
    const queued: Array<{ id: string; envelope: Envelope }> = [];
    for (const copy of copies) queued.push({ id: await this.mailbox.deliver('Outbox', copy.message, { seen: true }), envelope: copy.envelope });
    try {
      await this.changeState((state) => {
        for (const { id, envelope } of queued) state[id] = { envelope, delivered: [], attempts: 0, lastError: null, queuedAt: new Date().toISOString(), batch };
      });
    } catch (error) {
      // Not queued after all (the state could not be written): the sender is told, and no copy stays
      // behind in the Outbox folder that no flush would ever find.
      for (const { id } of queued) await this.mailbox.remove('Outbox', id).catch(() => undefined);
      throw error;
    }
    return queued.map((q) => q.id);
  }

  async pending(): Promise<PendingMessage[]> {
    const state = await this.state();
    return Object.entries(state).map(([id, entry]) => ({ ...entry, id, remaining: remainingOf(entry) }));
  }

  /**
   * Gives up on queued copies: out of the state first (no flush picks them up again), then out of the
   * folder. A copy being sent right now is left alone: its transport may be handing it over.
   * @throws CachetError ERR_MAIL_NOT_FOUND for an id not queued, ERR_USAGE for a copy being sent
   */
  async remove(ids: string[]): Promise<void> {
    await this.changeState((state) => {
      const now = Date.now();
      for (const id of ids) {
        const entry = state[id];
        if (!entry) throw new CachetError('ERR_MAIL_NOT_FOUND', `there is no message ${id} in the Outbox (it may have been sent meanwhile)`);
        if (claimHeld(entry.sending, now)) throw new CachetError('ERR_USAGE', 'this message is being sent right now; try again in a moment');
      }
      for (const id of ids) delete state[id];
    });
    for (const id of ids) await this.mailbox.remove('Outbox', id).catch(() => undefined);
  }

  /**
   * Tries to send every queued copy (or only `ids`); returns what went and what stays.
   * `retryRefused: false` (the automatic retries) leaves out the recipients a server refused for good:
   * only the user's own retry offers it to them again.
   */
  async flush(transport: Transport, ids?: string[], options: { retryRefused?: boolean } = {}): Promise<FlushResult> {
    const retryRefused = options.retryRefused ?? true;
    // Claimed first, all at once: a copy another flush is sending right now is not sent twice.
    const claimed = await this.changeState((state) => {
      const now = Date.now();
      const mine: Array<{ id: string; entry: OutboxEntry }> = [];
      for (const [id, entry] of Object.entries(state)) {
        if ((ids && !ids.includes(id)) || claimHeld(entry.sending, now)) continue;
        entry.sending = { pid: process.pid, host: THIS_HOST, since: new Date(now).toISOString() };
        mine.push({ id, entry: structuredClone(entry) });
      }
      return mine;
    });
    const sent: string[] = [];
    const unsettled = new Set(claimed.map((c) => c.id));
    try {
      for (const { id, entry } of claimed) {
        const done = await this.sendCopy(transport, id, entry, retryRefused);
        unsettled.delete(id);
        if (done) {
          // After the state: a crash in between leaves a copy nobody will send again, never a lost one.
          await this.mailbox.remove('Outbox', id);
          sent.push(id);
        }
      }
    } finally {
      // Stopped half-way (the state could not be written): the claims left are let go, so that a
      // later flush of this long-lived process (the web client) does not skip those copies.
      if (unsettled.size > 0) {
        await this.changeState((state) => {
          for (const id of unsettled) if (ownClaim(state[id]?.sending)) delete state[id]!.sending;
        }).catch(() => undefined);
      }
    }
    const pending = Object.entries(await this.state())
      .filter(([id]) => !ids || ids.includes(id))
      .map(([id, entry]) => ({ ...entry, id, remaining: remainingOf(entry) }));
    return { sent, pending };
  }

  /**
   * Sends one claimed copy to the recipients it has left and records the outcome, ending the claim
   * (recorded after every copy: a crash between copies repeats nothing already accepted).
   * @returns whether every recipient now has it, so that it leaves the state
   */
  private async sendCopy(transport: Transport, id: string, entry: OutboxEntry, retryRefused: boolean): Promise<boolean> {
    const remaining = remainingOf(entry).filter((r) => retryRefused || !entry.refused?.[r]?.permanent);
    const accepted: string[] = [];
    const refused: RefusedRecipient[] = [];
    let lastError: OutboxEntry['lastError'] = null;
    try {
      if (remaining.length > 0) {
        // Read from the Outbox file as the transport sends it, never whole in memory.
        const message = await this.mailbox.content('Outbox', id);
        const report = await transport.deliver({ from: entry.envelope.from, to: remaining }, message);
        accepted.push(...report.accepted);
        refused.push(...report.refused);
      }
    } catch (error) {
      accepted.push(...((isCachetError(error) ? (error.details['accepted'] as string[] | undefined) : undefined) ?? []));
      lastError = isCachetError(error) ? { code: error.code, message: error.message } : { code: 'ERR_MAIL_SEND_FAILED', message: (error as Error).message };
    }
    return this.changeState((state) => {
      const current = state[id];
      if (!current) return false;
      current.attempts++;
      current.lastAttemptAt = new Date().toISOString();
      current.delivered.push(...accepted.filter((a) => remaining.includes(a) && !current.delivered.includes(a)));
      current.lastError = lastError;
      // The server's answer per recipient, from this attempt (a failure of the whole message leaves the last ones).
      if (!lastError || refused.length > 0) {
        // Those not offered this time (refused for good before, left out of an automatic retry) keep their answer.
        const kept = Object.entries(current.refused ?? {}).filter(([address]) => !remaining.includes(address));
        current.refused = Object.fromEntries([...kept, ...refused.filter((r) => remaining.includes(r.address)).map((r) => [r.address, { reason: r.reason, permanent: r.permanent }] as const)]);
      }
      delete current.sending;
      if (remainingOf(current).length > 0) return false;
      delete state[id];
      return true;
    });
  }
}
