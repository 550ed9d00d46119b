/**
 * What Compose starts with when it answers or passes on a message: the heading, the recipients, the
 * subject ("Re:", "Fwd:") and the quote — all but the heading as the server gives them, the same as
 * the CLI's reply and forward write (the Reply-To or the sender, and for reply all the others, never
 * the user); a forward names no one. A forward as
 * attachment writes no quote: the original travels whole (message/rfc822), attached by the server.
 */
import type { MessageView } from './types.js';

export type ComposeKind = 'new' | 'reply' | 'reply-all' | 'forward-inline' | 'forward-attachment';

/** Reply all and forward, as Compose's address asks (#/compose?reply=…&all=1, ?forward=…&mode=…). */
export interface ComposeExtras {
  replyAll?: boolean;
  forward?: { folder: string; id: string; mode: 'inline' | 'attachment' };
}

/** "folder/id" of a compose link: the id is the last part (ids never hold a slash, folder paths may). */
export function messageRefOf(value: string | null): { folder: string; id: string } | null {
  if (!value) return null;
  const cut = value.lastIndexOf('/');
  return cut > 0 && cut < value.length - 1 ? { folder: value.slice(0, cut), id: value.slice(cut + 1) } : null;
}

export function composeExtrasOf(query: URLSearchParams): ComposeExtras {
  const forward = messageRefOf(query.get('forward'));
  return {
    ...(query.get('all') === '1' ? { replyAll: true } : {}),
    ...(forward ? { forward: { ...forward, mode: query.get('mode') === 'attachment' ? 'attachment' : 'inline' } } : {}),
  };
}

export function composeKind(replying: boolean, extras: ComposeExtras): ComposeKind {
  if (extras.forward) return extras.forward.mode === 'attachment' ? 'forward-attachment' : 'forward-inline';
  if (replying) return extras.replyAll ? 'reply-all' : 'reply';
  return 'new';
}

export const HEADINGS: Record<ComposeKind, string> = {
  new: 'New message',
  reply: 'Reply',
  'reply-all': 'Reply all',
  'forward-inline': 'Forward',
  'forward-attachment': 'Forward as attachment',
};

/** The subject and the quote come from the server, as the CLI writes them (use-cases/reply-all.ts, forward.ts). */
export function subjectFor(kind: ComposeKind, original: MessageView): string {
  const forwarding = kind === 'forward-inline' || kind === 'forward-attachment';
  return (forwarding ? original.prefill?.forwardSubject : original.prefill?.replySubject) ?? '';
}

/** Room for the user's text, then the quote; a forward as attachment carries the original whole instead. */
export function bodyFor(kind: ComposeKind, original: MessageView): string {
  if (kind === 'forward-attachment') return '';
  const quote = kind === 'forward-inline' ? original.prefill?.forwardQuote : original.prefill?.replyQuote;
  return quote ? `\n\n${quote}` : '';
}

/**
 * The recipients Compose starts with, as the server computed them (use-cases/reply-all.ts: the
 * Reply-To, else the sender, for a reply; and everyone else but the user for reply all); no one for
 * a forward.
 */
export function recipientsFor(kind: ComposeKind, original: MessageView): { to: string[]; cc: string[] } {
  if (kind === 'reply-all' && original.replyAll) return original.replyAll;
  if (kind === 'reply' && original.reply) return original.reply;
  if (kind === 'reply' || kind === 'reply-all') {
    const sender = original.fromMailboxes[0]?.address ?? original.headers.from.replace(/^.*<([^>]+)>.*$/, '$1').trim().toLowerCase();
    return { to: sender ? [sender] : [], cc: [] };
  }
  return { to: [], cc: [] };
}

/** What a forward carries besides the text, said under the attachments. */
export function forwardNote(kind: ComposeKind, original: MessageView): string | null {
  const secret = original.encrypted ? ' It was encrypted: the forward is encrypted to its recipients, and never sent in clear unless you choose so.' : '';
  if (kind === 'forward-attachment') return `The original message is attached (message/rfc822)${original.encrypted ? ', decrypted' : ', as it was received'}.${secret}`;
  if (kind === 'forward-inline' && original.attachments.length > 0) return `Its ${original.attachments.length === 1 ? 'attachment is' : `${original.attachments.length} attachments are`} forwarded with it: ${original.attachments.map((a) => a.filename).join(', ')}.${secret}`;
  if (kind === 'forward-inline') return secret.trim() || null;
  return null;
}
