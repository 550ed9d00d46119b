/**
 * RFC 5322 §3.4 address lists (From, To, Cc), parsed on the raw field value BEFORE any RFC 2047
 * decoding: an encoded-word may only stand for display text (RFC 2047 §5: "An 'encoded-word' MUST NOT
 * appear in any portion of an 'addr-spec'"), so `alice@example.com =?utf-8?q?=3Cmallory@evil=3E?=`
 * can never decode into an angle address. Display names are decoded afterwards, from the phrase alone.
 * The status (which address signed) and the From a reader is shown come from this one parse.
 */
import { domainToASCII } from 'node:url';
import { decodeEncodedWords } from './headers.js';

export interface Mailbox {
  /** The address, lower-cased with an A-label domain (RFC 8398 comparison); undefined when malformed. */
  address: string | undefined;
  /** The decoded display name; null when there is none. Comments are not kept: they are not names. */
  name: string | null;
  /** The item as it stood in the field (undecoded), for showing what could not be read. */
  raw: string;
  /** Why the display name may mislead: it holds another address, or bidi controls that reorder what is shown. */
  nameWarning?: 'looks-like-another-address' | 'bidi-controls';
}

type Token = { kind: 'word' | 'quoted' | 'special' | 'space'; text: string };

/** Bidi embeddings, overrides, isolates and marks: they reorder displayed text (Trojan Source, CVE-2021-42574). */
export const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const SPECIALS = '()<>[]:;@\\,."';

/** Tokens of one field value; comments are dropped (they may nest), quoted-pairs resolved. null when unterminated. */
function tokenize(value: string): Token[] | null {
  const tokens: Token[] = [];
  const space = () => {
    // White space and comments next to each other are one separator (CFWS).
    if (tokens[tokens.length - 1]?.kind !== 'space') tokens.push({ kind: 'space', text: ' ' });
  };
  let i = 0;
  while (i < value.length) {
    const ch = value[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      while (i < value.length && /[ \t\r\n]/.test(value[i]!)) i++;
      space();
    } else if (ch === '(') {
      let depth = 0;
      for (; i < value.length; i++) {
        const c = value[i]!;
        if (c === '\\') i++;
        else if (c === '(') depth++;
        else if (c === ')' && --depth === 0) break;
      }
      if (depth !== 0) return null;
      i++;
      space();
    } else if (ch === '"') {
      let text = '';
      i++;
      for (; i < value.length && value[i] !== '"'; i++) text += value[i] === '\\' ? (value[++i] ?? '') : value[i];
      if (i >= value.length) return null;
      i++;
      tokens.push({ kind: 'quoted', text });
    } else if (ch === '[') {
      // A domain literal ("[192.0.2.1]") is one word of an addr-spec.
      const end = value.indexOf(']', i);
      if (end === -1) return null;
      tokens.push({ kind: 'word', text: value.slice(i, end + 1) });
      i = end + 1;
    } else if (SPECIALS.includes(ch)) {
      tokens.push({ kind: 'special', text: ch });
      i++;
    } else {
      let text = '';
      while (i < value.length && !SPECIALS.includes(value[i]!) && !/[ \t\r\n]/.test(value[i]!)) text += value[i++];
      tokens.push({ kind: 'word', text });
    }
  }
  return tokens;
}

/** An addr-spec from its tokens: words joined by dots, one @, no white space between (obs-local-part aside). */
function addrSpec(tokens: Token[]): string | undefined {
  const parts = tokens.filter((t) => t.kind !== 'space');
  // White space inside an addr-spec is allowed only around "." and "@" (RFC 5322 obs-*): two words
  // side by side ("alice@example.com =?…?=") are not one address.
  for (let i = 1; i < tokens.length - 1; i++) {
    if (tokens[i]!.kind === 'space' && tokens[i - 1]!.kind !== 'special' && tokens[i + 1]!.kind !== 'special') return undefined;
  }
  const text = parts.map((t) => (t.kind === 'quoted' ? `"${t.text}"` : t.text)).join('');
  if (parts.filter((t) => t.text === '@' && t.kind === 'special').length !== 1) return undefined;
  if (parts.some((t) => t.kind === 'special' && t.text !== '@' && t.text !== '.')) return undefined;
  const at = text.lastIndexOf('@');
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (!local || !domain || domain.startsWith('.') || domain.endsWith('.') || domain.includes('..')) return undefined;
  if (/[\s<>()",;:\\]/.test(local.replace(/^"[^"]*"$/, 'q')) || BIDI_CONTROLS.test(text)) return undefined;
  return normaliseAddress(text);
}

/** Lower-cased, with the domain in its ASCII (A-label) form (RFC 8398 comparison). */
export function normaliseAddress(address: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = domainToASCII(address.slice(at + 1).toLowerCase()) || address.slice(at + 1).toLowerCase();
  return `${local.toLowerCase()}@${domain}`;
}

/** The display phrase: words and quoted strings, encoded-words decoded (RFC 2047 §5 (3)). */
function phrase(tokens: Token[]): string | null {
  const text = tokens
    .map((t) => t.text)
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
  if (!text) return null;
  return decodeEncodedWords(text).replace(/\s+/g, ' ').trim();
}

const ADDRESS_IN_TEXT = /[^\s<>()"'@,;:]+@[^\s<>()"'@,;:]+\.[^\s<>()"'@,;:]+/g;

function nameWarningOf(name: string | null, address: string | undefined): Mailbox['nameWarning'] {
  if (name === null) return undefined;
  if (BIDI_CONTROLS.test(name)) return 'bidi-controls';
  // Zero-width and other invisible characters are ignored when looking for an address in the name.
  const visible = name.replace(/[\u200b-\u200d\u2060\ufeff]/g, '').replace(/[\uff20\ufe6b]/g, '@');
  for (const match of visible.match(ADDRESS_IN_TEXT) ?? []) {
    const claimed = match.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    if (address === undefined || normaliseAddress(claimed) !== address) return 'looks-like-another-address';
  }
  return undefined;
}

function mailbox(tokens: Token[], raw: string): Mailbox {
  const open = tokens.findIndex((t) => t.kind === 'special' && t.text === '<');
  let address: string | undefined;
  let name: string | null = null;
  if (open === -1) {
    address = addrSpec(trimSpace(tokens));
  } else {
    const close = tokens.findIndex((t, i) => i > open && t.kind === 'special' && t.text === '>');
    const after = close === -1 ? [] : tokens.slice(close + 1);
    const before = tokens.slice(0, open);
    // Nothing but white space may follow the angle address. The phrase holds no specials but "." —
    // and "@", tolerated as Python and postal-mime do (`alice@example.com <bob@…>` is bob, named
    // "alice@example.com", which nameWarningOf then marks).
    const phraseOk = before.every((t) => t.kind !== 'special' || t.text === '.' || t.text === '@');
    if (close !== -1 && after.every((t) => t.kind === 'space') && phraseOk) {
      // An obs-route ("<@relay:alice@example.com>") is dropped, as RFC 5322 §4.4 says.
      let inner = tokens.slice(open + 1, close);
      const colon = inner.findIndex((t) => t.kind === 'special' && t.text === ':');
      if (colon !== -1 && inner[0]?.text === '@') inner = inner.slice(colon + 1);
      address = addrSpec(trimSpace(inner));
      name = phrase(before);
    }
  }
  const warning = nameWarningOf(name, address);
  return { address, name, raw: raw.trim(), ...(warning ? { nameWarning: warning } : {}) };
}

function trimSpace(tokens: Token[]): Token[] {
  let start = 0;
  let end = tokens.length;
  while (start < end && tokens[start]!.kind === 'space') start++;
  while (end > start && tokens[end - 1]!.kind === 'space') end--;
  return tokens.slice(start, end);
}

/**
 * The mailboxes of a raw (undecoded) address-list value. Groups ("Team: a@x, b@y;") give their
 * members. An unreadable item gives a mailbox without address, so that a caller counting senders
 * never takes a damaged list for a single sender.
 * @example parseMailboxes('"Alice" <alice@example.com>') // [{ address: 'alice@example.com', name: 'Alice', raw: … }]
 */
export function parseMailboxes(value: string): Mailbox[] {
  const tokens = tokenize(value);
  if (tokens === null) return [{ address: undefined, name: null, raw: value.trim() }];
  const result: Mailbox[] = [];
  let item: Token[] = [];
  let inAngle = false;
  const flush = () => {
    const raw = item.map((t) => (t.kind === 'quoted' ? `"${t.text}"` : t.text)).join('');
    if (item.some((t) => t.kind !== 'space')) result.push(mailbox(item, raw));
    item = [];
  };
  for (const token of tokens) {
    if (token.kind === 'special' && token.text === '<') inAngle = true;
    if (token.kind === 'special' && token.text === '>') inAngle = false;
    if (!inAngle && token.kind === 'special' && token.text === ':' && item.every((t) => t.kind !== 'special' || t.text === '.')) {
      item = []; // a group's display name: the members follow
      continue;
    }
    if (!inAngle && token.kind === 'special' && (token.text === ',' || token.text === ';')) flush();
    else item.push(token);
  }
  flush();
  return result;
}

/** An address-list field as a reader is shown it: parsed first, each mailbox formatted (never decoded whole). */
export function displayAddressList(value: string): string {
  return parseMailboxes(value).map(formatMailbox).join(', ');
}

/** How a mailbox is shown: "Name <address>", the address alone, or, unreadable, the raw text undecoded. */
export function formatMailbox(box: Mailbox): string {
  if (box.address === undefined) return box.raw;
  return box.name ? `${box.name} <${box.address}>` : box.address;
}
