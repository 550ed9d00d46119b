/**
 * The group rule: what to do when some recipients of a message have no usable certificate. Never a
 * silent downgrade: `block` (default) refuses and names them; `ask` returns a decision request the
 * front end resolves per message; `send-unencrypted` sends in clear with a warning and an audit record.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CachetError } from '../engine/errors.js';

export type GroupRulePolicy = 'block' | 'ask' | 'send-unencrypted';

export interface MissingRecipient {
  address: string;
  /** Why there is no usable certificate (no entry, each rejected candidate…). */
  reason: string;
}

export type GroupDecision =
  | { action: 'encrypt' }
  | { action: 'ask'; missing: MissingRecipient[]; question: string }
  | { action: 'send-unencrypted'; missing: MissingRecipient[]; warning: string };

export function describeMissing(missing: readonly MissingRecipient[]): string {
  return missing.map((m) => `${m.address} (${m.reason})`).join('; ');
}

/** Throws ERR_RECIPIENT_CERT_MISSING under `block`; otherwise returns what to do. */
export function applyGroupRule(missing: readonly MissingRecipient[], policy: GroupRulePolicy = 'block'): GroupDecision {
  if (missing.length === 0) return { action: 'encrypt' };
  const list = describeMissing(missing);
  switch (policy) {
    case 'block':
      throw new CachetError('ERR_RECIPIENT_CERT_MISSING', `the message was not sent: no usable encryption certificate for ${list}`, {
        details: { recipients: missing.map((m) => ({ ...m })) },
      });
    case 'ask':
      return { action: 'ask', missing: [...missing], question: `No usable encryption certificate for ${list}. Send this message to everyone UNENCRYPTED?` };
    case 'send-unencrypted':
      return { action: 'send-unencrypted', missing: [...missing], warning: `WARNING: this message is sent UNENCRYPTED because of ${list} (policy send-unencrypted).` };
    default:
      throw new CachetError('ERR_POLICY_INVALID', `unknown group rule "${String(policy)}" (block, ask or send-unencrypted)`);
  }
}

/** The answer to an `ask`: declining is ERR_DOWNGRADE_REFUSED, accepting must be recorded. */
export function resolveAsk(decision: Extract<GroupDecision, { action: 'ask' }>, sendInClear: boolean): Extract<GroupDecision, { action: 'send-unencrypted' }> {
  if (!sendInClear) throw new CachetError('ERR_DOWNGRADE_REFUSED', `sending in clear was declined; no usable certificate for ${describeMissing(decision.missing)}`);
  return { action: 'send-unencrypted', missing: decision.missing, warning: `WARNING: sent UNENCRYPTED at the user's request because of ${describeMissing(decision.missing)}.` };
}

export function auditFile(home: string): string {
  return join(home, 'audit.log');
}

/** One JSON line per message sent in clear, appended (never rewritten). */
export async function recordUnencryptedSend(home: string, entry: { messageId?: string; recipients: readonly string[]; missing: readonly MissingRecipient[]; decidedBy: 'policy' | 'user'; at: Date }): Promise<void> {
  const file = auditFile(home);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const line = JSON.stringify({ event: 'sent-unencrypted', at: entry.at.toISOString(), messageId: entry.messageId, recipients: entry.recipients, missing: entry.missing, decidedBy: entry.decidedBy });
  await appendFile(file, `${line}\n`, { mode: 0o600 });
}
