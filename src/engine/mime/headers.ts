/**
 * RFC 5322 / RFC 2045 header blocks: fields with their exact bytes (signed content must be reproduced
 * byte for byte), unfolded values, Content-Type with RFC 2231 parameters, and RFC 2047 decoding for
 * display. Tolerant in reading (LF-only mail, obs-fold, stray whitespace), exact in what it keeps.
 */
import { CachetError } from '../../errors.js';
import { MIME_LIMITS, mimeLimitExceeded } from './limits.js';
import type { ContentType, HeaderField, MimeHeaderBlock } from './types.js';

class HeaderBlock implements MimeHeaderBlock {
  constructor(readonly fields: readonly HeaderField[]) {}

  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.fields.find((f) => f.name.toLowerCase() === lower)?.value;
  }

  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    return this.fields.filter((f) => f.name.toLowerCase() === lower).map((f) => f.value);
  }

  contentType(): ContentType {
    const value = this.get('content-type');
    return value === undefined ? parseContentType('text/plain; charset=us-ascii') : parseContentType(value);
  }

  transferEncoding(): string {
    return (this.get('content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  }
}

/** Builds a header block from fields (e.g. to rewrite or filter a block). */
export function headerBlock(fields: readonly HeaderField[]): MimeHeaderBlock {
  return new HeaderBlock(fields);
}

/**
 * Parses the bytes of a header block (without or with its terminating blank line). Lines may end in
 * CRLF or LF. A line that is neither a field nor a continuation is a MIME error.
 */
export function parseHeaderBlock(bytes: Uint8Array): MimeHeaderBlock {
  if (bytes.length > MIME_LIMITS.maxHeaderBytes) throw mimeLimitExceeded('maxHeaderBytes', 'a header block is too large');
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: HeaderField[] = [];
  let start = 0;
  let current: { start: number; end: number } | undefined;
  const flush = () => {
    if (!current) return;
    const raw = buffer.subarray(current.start, current.end);
    const text = raw.toString('latin1');
    const colon = text.indexOf(':');
    const name = text.slice(0, colon).trim();
    const value = text
      .slice(colon + 1)
      .replace(/\r?\n(?=[ \t])/g, '')
      .replace(/\r?\n$/, '')
      .trim();
    // Header values are bytes; UTF-8 (RFC 6532) is decoded for the value, raw keeps the bytes.
    fields.push({ name, value: Buffer.from(value, 'latin1').toString('utf8'), raw });
    if (fields.length > MIME_LIMITS.maxHeaderFields) throw mimeLimitExceeded('maxHeaderFields', 'a header block has too many fields');
    current = undefined;
  };
  while (start < buffer.length) {
    let end = buffer.indexOf(0x0a, start);
    end = end === -1 ? buffer.length : end + 1;
    const line = buffer.subarray(start, end);
    const isBlank = line.length === 0 || (line.length === 1 && line[0] === 0x0a) || (line.length === 2 && line[0] === 0x0d && line[1] === 0x0a);
    if (isBlank) {
      flush();
      break;
    }
    if (start === 0 && line.subarray(0, 5).toString('latin1') === 'From ') {
      // The mbox separator ("From alice@example.com Mon Jan  1 10:00:00 2024") that stored mail and
      // some exports keep on the first line: not a field, and never part of what was signed.
      start = end;
      continue;
    }
    if (line[0] === 0x20 || line[0] === 0x09) {
      if (current) current.end = end;
      // a continuation before any field: ignore (seen in broken mail), it carries no field
    } else {
      flush();
      const colon = line.indexOf(0x3a);
      if (colon <= 0 || /[\s]/.test(line.subarray(0, colon).toString('latin1').trim()) || line.subarray(0, colon).toString('latin1').trim().length === 0) {
        throw new CachetError('ERR_MIME_MALFORMED', `a header line is not a field: "${line.toString('latin1').slice(0, 40).trim()}"`);
      }
      current = { start, end };
    }
    start = end;
  }
  flush();
  return new HeaderBlock(fields);
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Splits a structured value on `;` outside quoted strings and comments. */
function splitParameters(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (quoted) {
      current += ch;
      if (ch === '\\' && i + 1 < value.length) current += value[++i];
      else if (ch === '"') quoted = false;
    } else if (ch === '"') {
      quoted = true;
      current += ch;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')' && depth > 0) {
      depth--;
    } else if (depth > 0) {
      // inside a comment
    } else if (ch === ';') {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

function decodeRfc2231(value: string, withCharset: boolean): string {
  let charset = 'utf-8';
  let text = value;
  if (withCharset) {
    const match = /^([^']*)'[^']*'(.*)$/.exec(value);
    if (match) {
      charset = match[1] || 'utf-8';
      text = match[2] ?? '';
    }
  }
  const bytes = Buffer.from(text.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** Parses a Content-Type value (RFC 2045 §5.1, RFC 2231 parameter continuations and charsets). */
export function parseContentType(value: string): ContentType {
  const [head = '', ...rawParams] = splitParameters(value);
  const [typePart = '', subtypePart = ''] = head.split('/');
  let type = typePart.trim().toLowerCase();
  let subtype = subtypePart.trim().toLowerCase();
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) {
    // RFC 2045 §5.2: an unparseable Content-Type means text/plain.
    type = 'text';
    subtype = 'plain';
  }
  const simple: Record<string, string> = {};
  const continued = new Map<string, Array<{ index: number; value: string; encoded: boolean }>>();
  for (const param of rawParams) {
    const eq = param.indexOf('=');
    if (eq <= 0) continue;
    const name = param.slice(0, eq).trim().toLowerCase();
    const raw = param.slice(eq + 1).trim();
    const section = /^([^*]+)\*(\d+)(\*)?$/.exec(name);
    if (section) {
      const list = continued.get(section[1]!) ?? [];
      list.push({ index: Number(section[2]), value: section[3] ? raw : unquote(raw), encoded: Boolean(section[3]) });
      continued.set(section[1]!, list);
    } else if (name.endsWith('*')) {
      simple[name.slice(0, -1)] = decodeRfc2231(unquote(raw), true);
    } else if (!(name in simple)) {
      simple[name] = unquote(raw);
    }
  }
  for (const [name, sections] of continued) {
    sections.sort((a, b) => a.index - b.index);
    const first = sections[0];
    if (!first) continue;
    const joined = sections.map((s) => (s.encoded ? s.value : encodeURIComponent(s.value).replace(/%20/g, ' '))).join('');
    simple[name] = first.encoded ? decodeRfc2231(joined, true) : sections.map((s) => s.value).join('');
  }
  return { mediaType: `${type}/${subtype}`, type, subtype, params: simple };
}

/** Decodes RFC 2047 encoded-words for display (never for security decisions on raw bytes). */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[bBqQ]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_match, charset: string, encoding: string, text: string) => {
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
      try {
        return new TextDecoder(charset.split('*')[0] ?? 'utf-8').decode(bytes);
      } catch {
        return bytes.toString('latin1');
      }
    });
}
