/**
 * The reading side of header protection: which Subject, From, To, Cc and Date a reader is shown.
 *
 * RFC 9788 (Header Protection for Cryptographically Protected Email) puts the header fields inside the
 * cryptographic payload, whose root Content-Type carries `hp="cipher"` (encrypted) or `hp="clear"`
 * (signed only); `HP-Outer` fields inside record what the sender put outside (an obscured Subject
 * "[...]", for example), so a deliberate difference is told apart from one made in transit. The older
 * forms are read too: Thunderbird's `protected-headers="v1"` parameter, and a payload that simply
 * carries header fields (RFC 8551 §3.1 wraps a whole message/rfc822).
 *
 * Inside wins: a protected field is what the signer or the sender's encryption covered; the outer one is
 * whatever any relay left. A field that is only outside is shown but listed as unprotected.
 */
import { formatMailbox, parseMailboxes, type Mailbox } from '../mime/addresses.js';
import { decodeEncodedWords, parseHeaderBlock } from '../mime/headers.js';
import type { MimeHeaderBlock } from '../mime/types.js';

/** The fields a reader is shown and that header protection covers (RFC 9788 §2.1 "header fields of interest"). */
export const PROTECTED_FIELDS = ['from', 'to', 'cc', 'reply-to', 'subject', 'date', 'message-id'] as const;
export type ProtectedField = (typeof PROTECTED_FIELDS)[number];

/** Outer Subjects that say "obscured on purpose": RFC 9788 §4.2 "[...]", Thunderbird and Enigmail "...". */
const OBSCURED_SUBJECTS = new Set(['[...]', '...']);

export interface EffectiveHeaders {
  subject: string | null;
  /** The From shown, formatted from {@link EffectiveHeaders.fromMailboxes} (the parse the status uses). */
  from: string | null;
  /**
   * Every mailbox of every From field of the header shown, parsed before decoding (RFC 2047 §5).
   * RFC 5322 allows exactly one: more (two From fields, or a list) never read as one sender.
   */
  fromMailboxes: Mailbox[];
  to: string | null;
  cc: string | null;
  /** Where the author asks replies to go (RFC 5322 §3.6.2), protected when the header is. */
  replyTo: string | null;
  date: string | null;
  /** Whether the headers shown come from inside the signature/encryption. */
  protected: boolean;
  /** How the protection was declared: RFC 9788 `hp`, Thunderbird `protected-headers="v1"`, or fields only. */
  scheme: 'rfc9788' | 'protected-headers-v1' | 'inner-fields' | null;
  /** Protected fields that differ from the outer ones (other than deliberate obscuring). */
  differences: Array<{ field: string; outer: string | null; protected: string | null }>;
  /**
   * Fields shown that no signature or encryption covers: every field present when nothing is
   * protected, else those shown from the outer header because the protected header lacks them.
   */
  unprotected: string[];
}

function normalised(value: string | undefined): string | null {
  return value === undefined ? null : decodeEncodedWords(value).replace(/\s+/g, ' ').trim();
}

/** Bounded look into a message/rfc822 payload: only its header block is needed. */
export const MAX_EMBEDDED_HEADER_BYTES = 1024 * 1024;

/**
 * The protected header block of the innermost entity: its own header, or, when it is a
 * message/rfc822 wrapper (RFC 8551 §3.1), the embedded message's header — but only for a wrapper of
 * the message itself: marked `forwarded=no` (RFC 9788's wrapped message), or embedding a message of
 * the same From. A signed message whose content is someone else's message (a forward as attachment,
 * without a text part) is not a wrapper: its embedded From and Subject are content, never the
 * message's own header, so the forwarder's mail is not shown as the original author's.
 */
export function protectedHeaderBlock(inner: MimeHeaderBlock, innerBody: () => Buffer | undefined, outer?: MimeHeaderBlock): MimeHeaderBlock {
  const contentType = inner.contentType();
  if (contentType.mediaType !== 'message/rfc822') return inner;
  const body = innerBody();
  if (!body) return inner;
  let embedded: MimeHeaderBlock;
  try {
    embedded = parseHeaderBlock(body.subarray(0, MAX_EMBEDDED_HEADER_BYTES));
  } catch {
    // A damaged embedded header: the wrapper's own fields are still the protected ones.
    return inner;
  }
  const declaredWrapper = contentType.params.forwarded?.toLowerCase() === 'no';
  if (declaredWrapper || outer === undefined || sameAuthors(outer, embedded)) return embedded;
  return inner;
}

/** Whether two headers name the same From mailboxes (addresses compared case-insensitively). */
function sameAuthors(a: MimeHeaderBlock, b: MimeHeaderBlock): boolean {
  const authors = (block: MimeHeaderBlock) =>
    block
      .getAll('from')
      .flatMap((value) => parseMailboxes(value).map((m) => m.address?.toLowerCase() ?? ''))
      .sort()
      .join(',');
  const left = authors(a);
  return left !== '' && left === authors(b);
}

function schemeOf(inner: MimeHeaderBlock): EffectiveHeaders['scheme'] {
  const params = inner.contentType().params;
  if (params.hp !== undefined) return 'rfc9788';
  if (params['protected-headers'] !== undefined) return 'protected-headers-v1';
  return PROTECTED_FIELDS.some((f) => inner.get(f) !== undefined) ? 'inner-fields' : null;
}

/** RFC 9788 §2.2: `HP-Outer: Subject: [...]` — what the sender itself put in the outer header. */
function hpOuterValues(inner: MimeHeaderBlock): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const value of inner.getAll('hp-outer')) {
    const colon = value.indexOf(':');
    if (colon <= 0) continue;
    const name = value.slice(0, colon).trim().toLowerCase();
    const list = result.get(name) ?? [];
    list.push(normalised(value.slice(colon + 1)) ?? '');
    result.set(name, list);
  }
  return result;
}

/**
 * The header a reader is shown: protected fields first, outer ones where nothing is protected.
 * @param outer the header of the message as received
 * @param inner the header of the innermost (decrypted and/or signed) entity; undefined when the message
 *              has no S/MIME layer at its root (then nothing is protected)
 */
export function effectiveHeaders(outer: MimeHeaderBlock, inner: MimeHeaderBlock | undefined): EffectiveHeaders {
  const scheme = inner === undefined ? null : schemeOf(inner);
  const shown = (field: ProtectedField): string | null => {
    const own = scheme !== null ? normalised(inner!.get(field)) : null;
    return own ?? normalised(outer.get(field));
  };
  const differences: EffectiveHeaders['differences'] = [];
  const unprotected: string[] = scheme === null ? PROTECTED_FIELDS.filter((f) => outer.get(f) !== undefined) : [];
  if (scheme !== null) {
    const hpOuter = hpOuterValues(inner!);
    const declaredOuter = hpOuter.size > 0;
    for (const field of PROTECTED_FIELDS) {
      const protectedValue = normalised(inner!.get(field));
      const outerValue = normalised(outer.get(field));
      if (protectedValue === null) {
        if (outerValue !== null) unprotected.push(field);
        continue;
      }
      if (protectedValue === outerValue) continue;
      if (declaredOuter) {
        // The sender declared its outer header: a difference it declared is deliberate; anything else
        // (or a field it said it left out) was changed after sending.
        const declared = hpOuter.get(field);
        if (declared !== undefined ? outerValue !== null && declared.includes(outerValue) : outerValue === null) continue;
      } else if (outerValue === null || (field === 'subject' && OBSCURED_SUBJECTS.has(outerValue))) {
        // Without HP-Outer: a field left out, or an obscured Subject, is what encrypting senders do.
        continue;
      }
      differences.push({ field, outer: outerValue, protected: protectedValue });
    }
  }
  // The From is parsed raw, from the block it is shown from: the inner one when it has a From.
  const fromFields = (scheme !== null && inner!.get('from') !== undefined ? inner! : outer).getAll('from');
  const fromMailboxes = fromFields.flatMap((value) => {
    const boxes = parseMailboxes(value);
    // An empty From is no sender: kept as an unreadable entry, so nobody counts it as "one sender".
    return boxes.length > 0 ? boxes : [{ address: undefined, name: null, raw: value }];
  });
  return {
    subject: shown('subject'),
    from: fromMailboxes.length > 0 ? fromMailboxes.map(formatMailbox).join(', ') : null,
    fromMailboxes,
    to: shown('to'),
    cc: shown('cc'),
    replyTo: shown('reply-to'),
    date: shown('date'),
    protected: scheme !== null,
    scheme,
    differences,
    unprotected,
  };
}
