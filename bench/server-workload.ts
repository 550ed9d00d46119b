/**
 * One run of the server benchmark's workload: every simulated user doing, `rounds` times, what a user
 * of the web mail does — sign in, list the INBOX, open the signed and encrypted message (the server
 * decrypts and verifies it), send a signed and encrypted message to their colleague — then sign out.
 * Each operation is a phase of its own, all users at once: the phase's wall time is the operation's
 * alone, so its rate (operations per second with every user asking at once) is its own too, and not
 * just the rate of whole rounds, which a free-running mix would give every operation alike.
 * An answer that is not the expected outcome (a refused sign-in, a message not valid, a send not
 * signed and encrypted) is a failure, counted and shown, never timed as a success; that user sits out
 * the rest of the round.
 */
import type { Colleagues } from './server-organisation.js';

const STEPS = ['sign in', 'list INBOX', 'open (decrypt + verify)', 'send (sign + encrypt)'] as const;
export const OPERATIONS = [...STEPS, 'whole round'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface RunResult {
  /** Wall time of each operation's phases, summed over the rounds (for a whole round: of all phases). */
  seconds: Record<Operation, number>;
  latenciesMs: Record<Operation, number[]>;
  failures: string[];
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

/** What one user does in one step of a round. */
async function step(name: (typeof STEPS)[number], { user, colleague, encryptedMessageId }: Colleagues, round: number): Promise<void> {
  switch (name) {
    case 'sign in':
      return user.signIn();
    case 'list INBOX': {
      const inbox = await user.listInbox();
      return expect(inbox.some((m) => m.id === encryptedMessageId), `${user.address}: the encrypted message is not in the INBOX list`);
    }
    case 'open (decrypt + verify)': {
      const opened = await user.open(encryptedMessageId);
      return expect(opened.status === 'valid' && opened.encrypted, `${user.address}: the message opened as ${opened.status}${opened.encrypted ? '' : ', not encrypted'}`);
    }
    case 'send (sign + encrypt)': {
      const sent = await user.send(colleague, `Round ${round + 1}`, 'Signed and encrypted, as every message here.', { sign: true, encrypt: true });
      return expect(sent.kind === 'sent' && sent.signed === true && sent.encrypted === true, `${user.address}: the send came back ${JSON.stringify(sent)}`);
    }
  }
}

export async function runWorkload(users: Colleagues[], rounds: number): Promise<RunResult> {
  const seconds = Object.fromEntries(OPERATIONS.map((op) => [op, 0])) as Record<Operation, number>;
  const latenciesMs = Object.fromEntries(OPERATIONS.map((op) => [op, [] as number[]])) as Record<Operation, number[]>;
  const failures: string[] = [];
  const since = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;
  for (let round = 0; round < rounds; round++) {
    let active = users.map((u) => ({ u, ms: 0 }));
    for (const name of STEPS) {
      const phase = process.hrtime.bigint();
      const outcomes = await Promise.all(
        active.map(async (a) => {
          const started = process.hrtime.bigint();
          try {
            await step(name, a.u, round);
          } catch (error) {
            failures.push((error as Error).message);
            return false;
          }
          const ms = since(started);
          latenciesMs[name].push(ms);
          a.ms += ms;
          return true;
        }),
      );
      seconds[name] += since(phase) / 1000;
      active = active.filter((_, i) => outcomes[i]);
    }
    // A whole round's latency is what its user waited for, without the other users' turns.
    for (const a of active) latenciesMs['whole round'].push(a.ms);
    await Promise.all(users.map(({ user }) => user.signOut().catch((error: unknown) => failures.push(`${user.address}: sign-out: ${(error as Error).message}`))));
  }
  seconds['whole round'] = STEPS.reduce((sum, name) => sum + seconds[name], 0);
  return { seconds, latenciesMs, failures };
}

/**
 * Between runs: what the run delivered leaves the INBOXes (into Trash), so that every run lists the
 * same INBOX — else each run would list more than the one before, and the later of two alternating
 * configurations would always pay for it.
 */
export async function clearDelivered(users: Colleagues[]): Promise<void> {
  await Promise.all(
    users.map(async ({ user, keep }) => {
      await user.signIn();
      for (const message of await user.listInbox()) if (!keep.has(message.id)) await user.delete(message.id);
      await user.signOut();
    }),
  );
}
