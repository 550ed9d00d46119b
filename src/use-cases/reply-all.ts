/**
 * Who a "reply all" goes to: the sender and every other To recipient in To, the Cc recipients in Cc
 * — never the user themselves (any of their addresses), and each address once. Addresses are read
 * with the one address parser (engine/mime/addresses.ts), so a display name holding a comma or an
 * address never becomes a recipient.
 */
import { normaliseAddress, parseMailboxes } from '../engine/mime/addresses.js';

export interface ReplyAllRecipients {
  to: string[];
  cc: string[];
}

/** `from`, `to`, `cc`: the header field values of the message replied to (the protected ones when shown). */
export function replyAllRecipients(original: { from: string | null; to: string | null; cc: string | null }, own: readonly string[]): ReplyAllRecipients {
  const taken = new Set(own.map(normaliseAddress));
  const pick = (value: string | null): string[] => {
    const out: string[] = [];
    for (const box of parseMailboxes(value ?? '')) {
      if (box.address === undefined || taken.has(box.address)) continue;
      taken.add(box.address);
      out.push(box.address);
    }
    return out;
  };
  const to = [...pick(original.from), ...pick(original.to)];
  return { to, cc: pick(original.cc) };
}
