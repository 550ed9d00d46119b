/**
 * Who a reply goes to, for every front end (the web's Compose prefill and `cachet reply` alike):
 *
 * - reply: to the Reply-To when the message has one (RFC 5322 §3.6.2: "the address(es) to which the
 *   author of the message suggests that replies be sent"), else to the From;
 * - reply all: that, plus every other To recipient in To and the Cc recipients in Cc.
 *
 * Never to the user themselves (any of their addresses), and each address once; a reply to one's own
 * sent message goes to its recipients. Addresses are read with the one address parser
 * (engine/mime/addresses.ts), so a display name holding a comma or an address never becomes a recipient.
 */
import { normaliseAddress, parseMailboxes } from '../engine/mime/addresses.js';
import type { ReadResult } from './read.js';

export interface ReplyRecipients {
  to: string[];
  cc: string[];
}

/** The header field values of the message replied to (the protected ones when shown: report.headers). */
export interface RepliedHeaders {
  from: string | null;
  replyTo?: string | null;
  to: string | null;
  cc: string | null;
}

function picker(own: readonly string[]): (value: string | null | undefined) => string[] {
  const taken = new Set(own.map(normaliseAddress));
  return (value) => {
    const out: string[] = [];
    for (const box of parseMailboxes(value ?? '')) {
      if (box.address === undefined || taken.has(box.address)) continue;
      taken.add(box.address);
      out.push(box.address);
    }
    return out;
  };
}

/** Where the author asks answers to go: the Reply-To's readable addresses, else the From. */
function authorOf(original: RepliedHeaders): string | null {
  const replyTo = original.replyTo ?? null;
  return replyTo !== null && parseMailboxes(replyTo).some((box) => box.address !== undefined) ? replyTo : original.from;
}

/**
 * @param own the user's addresses: never a recipient of their own reply
 * @example replyRecipients({ from: 'bob@example.org', replyTo: 'list@example.org', to: 'alice@example.com', cc: null }, ['alice@example.com'], { all: false })
 *          // { to: ['list@example.org'], cc: [] }
 */
export function replyRecipients(original: RepliedHeaders, own: readonly string[], { all }: { all: boolean }): ReplyRecipients {
  const pick = picker(own);
  const author = pick(authorOf(original));
  if (!all) return { to: author.length > 0 ? author : pick(original.to), cc: [] };
  return { to: [...author, ...pick(original.to)], cc: pick(original.cc) };
}

/** A reply's Subject: the original's, with one "Re: " in front. */
export function replySubject(subject: string | null): string {
  return `Re: ${(subject ?? '').replace(/^(re:\s*)+/i, '')}`;
}

/** What a reply ends with: the original's displayed text quoted ("> "), under who wrote it and when. */
export function replyQuote(original: Pick<ReadResult, 'report' | 'text' | 'partiallySigned'>): string {
  const { headers } = original.report;
  // A partially-signed message's text is its signed parts' (what the reader was shown as the message).
  const text = original.partiallySigned ? original.partiallySigned.signedText : (original.text ?? '');
  const quoted = text.replace(/\s+$/, '').split('\n').map((line) => `> ${line}`).join('\n');
  return `On ${headers.date ?? 'an unknown date'}, ${headers.from ?? 'the sender'} wrote:\n${quoted}\n`;
}

/** The user's text, then the quote of the original (replyQuote). */
export function quotedReplyText(userText: string, original: Pick<ReadResult, 'report' | 'text' | 'partiallySigned'>): string {
  return `${userText.replace(/\s+$/, '')}\n\n${replyQuote(original)}`;
}
