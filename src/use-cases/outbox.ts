/**
 * What waits in the Outbox, for `cachet outbox` and the web client alike: each queued message with
 * every recipient's state — delivered, or waiting with the reason the last attempt gave — a retry,
 * and giving up on a message. A recipient who already has the message is never told "not sent".
 */
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { Outbox, type PendingMessage } from '../adapters/mail/outbox.js';
import type { Transport } from '../adapters/mail/transport.js';
import type { LocalUser } from './users.js';

/** Only the header of a queued message is read for its Subject: the body may be large. */
const MAX_HEADER_BYTES = 64 * 1024;

/** The user's outbox: its copies in the local Maildir's Outbox folder, its state beside the user's settings. */
export function openOutbox(user: Pick<LocalUser, 'dir' | 'maildir'>): Outbox {
  return new Outbox(user.maildir, join(user.dir, 'outbox.json'));
}

export interface OutboxRecipient {
  address: string;
  /** `refused`: the server said no for good (a 5xx, e.g. no such user): a retry will not help as it is. */
  state: 'delivered' | 'waiting' | 'refused';
  /** Why a waiting or refused recipient does not have it (the server's words when it gave some); null when delivered. */
  reason: string | null;
}

/** One message as sent by its author: its copies (To/Cc and each Bcc) together. */
export interface OutboxMessage {
  /** The Message-ID the copies share. */
  batch: string;
  /** The outbox ids of its copies still queued. */
  ids: string[];
  subject: string;
  queuedAt: string;
  attempts: number;
  recipients: OutboxRecipient[];
  /** A copy is being handed over right now (by the send that queued it, or a retry). */
  sending: boolean;
}

function recipientState(copy: PendingMessage, address: string): OutboxRecipient {
  if (copy.delivered.includes(address)) return { address, state: 'delivered', reason: null };
  const refusal = copy.refused?.[address];
  if (refusal && !copy.sending) return { address, state: refusal.permanent ? 'refused' : 'waiting', reason: refusal.reason };
  return { address, state: 'waiting', reason: waitingReason(copy) };
}

function waitingReason(copy: PendingMessage): string {
  if (copy.lastError) return copy.lastError.message;
  if (copy.sending) return 'being sent now';
  return copy.attempts === 0 ? 'not tried yet' : 'the mail server did not accept this recipient';
}

async function subjectOf(user: Pick<LocalUser, 'maildir'>, id: string): Promise<string> {
  try {
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of await user.maildir.stream('Outbox', id)) {
      chunks.push(Buffer.from(chunk));
      length += chunk.length;
      if (length >= MAX_HEADER_BYTES) break;
    }
    const bytes = Buffer.concat(chunks).subarray(0, MAX_HEADER_BYTES);
    const end = bytes.indexOf('\r\n\r\n');
    const parsed = await PostalMime.parse(Buffer.concat([end >= 0 ? bytes.subarray(0, end) : bytes, Buffer.from('\r\n\r\n')]));
    return parsed.subject ?? '';
  } catch {
    // A copy whose file went (sent meanwhile) or cannot be read: listed without its Subject.
    return '';
  }
}

/** The queued messages, oldest first, each with its recipients' states. */
export async function listOutbox(user: Pick<LocalUser, 'dir' | 'maildir'>): Promise<OutboxMessage[]> {
  const copies = await openOutbox(user).pending();
  const batches = new Map<string, PendingMessage[]>();
  for (const copy of copies) batches.set(copy.batch, [...(batches.get(copy.batch) ?? []), copy]);
  const out: OutboxMessage[] = [];
  for (const [batch, group] of batches) {
    const recipients: OutboxRecipient[] = group.flatMap((copy) => copy.envelope.to.map((address) => recipientState(copy, address)));
    out.push({
      batch,
      ids: group.map((c) => c.id),
      subject: await subjectOf(user, group[0]!.id),
      queuedAt: group.map((c) => c.queuedAt).sort()[0]!,
      attempts: Math.max(...group.map((c) => c.attempts)),
      recipients,
      sending: group.some((c) => c.sending !== undefined),
    });
  }
  return out.sort((a, b) => a.queuedAt.localeCompare(b.queuedAt));
}

/**
 * The user's retry: sends again what is left (of the messages `batches` names, or all), to those
 * refused for good too (the user may know it is mended); recipients who have it are not sent it again.
 */
export async function retryOutbox(user: Pick<LocalUser, 'dir' | 'maildir'>, transport: Transport, batches?: string[]): Promise<OutboxMessage[]> {
  const outbox = openOutbox(user);
  const ids = batches ? (await outbox.pending()).filter((p) => batches.includes(p.batch)).map((p) => p.id) : undefined;
  if (!ids || ids.length > 0) await outbox.flush(transport, ids);
  return listOutbox(user);
}

/**
 * How long a copy waits after its n-th attempt before the next automatic one: 1, 2, 4 … minutes, at
 * most an hour, as mail servers back off — a server that is down is not hammered, and one that is
 * back soon gets the mail soon.
 */
export function automaticRetryDelayMs(attempts: number): number {
  return Math.min(60, 2 ** Math.max(0, attempts - 1)) * 60_000;
}

/** A copy the automatic retry takes: tried before, someone left whom no server refused for good, its delay over. */
function dueForRetry(copy: PendingMessage, now: number): boolean {
  if (copy.sending || copy.attempts === 0) return false;
  if (!copy.remaining.some((r) => !copy.refused?.[r]?.permanent)) return false;
  const last = Date.parse(copy.lastAttemptAt ?? copy.queuedAt);
  return now - last >= automaticRetryDelayMs(copy.attempts);
}

/**
 * The retry nobody has to press (a long-running front end calls it now and then, while the user is
 * signed in): sends again the copies that are due, to those not refused for good.
 * @returns how many copies were tried
 */
export async function retryDueMail(user: Pick<LocalUser, 'dir' | 'maildir'>, transport: Transport, now = Date.now()): Promise<number> {
  const outbox = openOutbox(user);
  const due = (await outbox.pending()).filter((copy) => dueForRetry(copy, now)).map((copy) => copy.id);
  if (due.length > 0) await outbox.flush(transport, due, { retryRefused: false });
  return due.length;
}

/**
 * Gives up on a message: its copies leave the Outbox; who already has it keeps it, who waits never gets it.
 * @throws CachetError ERR_MAIL_NOT_FOUND when the message is no longer queued, ERR_USAGE while it is being sent
 */
export async function deleteFromOutbox(user: Pick<LocalUser, 'dir' | 'maildir'>, batch: string): Promise<void> {
  const outbox = openOutbox(user);
  const ids = (await outbox.pending()).filter((p) => p.batch === batch).map((p) => p.id);
  await outbox.remove(ids.length > 0 ? ids : [batch]);
}
