/**
 * Quoted-printable (RFC 2045 §6.7) for text that must survive relays: lines of at most 76 characters,
 * no trailing whitespace, no 8-bit bytes, and a line starting with "From " protected as "=46rom "
 * (mbox writers insert ">" before it, which would break a signature).
 */

const HEX = '0123456789ABCDEF';
const MAX_LINE = 76;

function mustEscape(byte: number): boolean {
  return byte === 0x3d || byte > 0x7e || (byte < 0x20 && byte !== 0x09);
}

/** Encodes CRLF-delimited text: line breaks stay hard breaks; the rest is escaped as needed. */
export function quotedPrintableEncode(input: Uint8Array): Buffer {
  const text = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const out: string[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\r\n', start);
    const last = end === -1;
    if (last) end = text.length;
    out.push(encodeLine(text.subarray(start, end)));
    if (last) break;
    out.push('\r\n');
    start = end + 2;
  }
  return Buffer.from(out.join(''), 'latin1');
}

function encodeLine(line: Buffer): string {
  const pieces: string[] = [];
  for (let i = 0; i < line.length; i++) {
    const byte = line[i]!;
    const isLast = i === line.length - 1;
    const trailingSpace = isLast && (byte === 0x20 || byte === 0x09);
    if (mustEscape(byte) || trailingSpace) pieces.push(`=${HEX[byte >> 4]}${HEX[byte & 15]}`);
    else pieces.push(String.fromCharCode(byte));
  }
  if (pieces.length >= 5 && pieces.slice(0, 5).join('') === 'From ') pieces[0] = '=46';
  if (pieces.length > 0 && pieces[0] === '.' && pieces.length === 1) pieces[0] = '=2E';
  // soft line breaks so that no encoded line exceeds 76 characters (the "=" counts)
  const lines: string[] = [];
  let current = '';
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    const remaining = i === pieces.length - 1 ? 0 : 1;
    if (current.length + piece.length + remaining > MAX_LINE) {
      // a soft break: the line ends in "=", so whitespace before it is not trailing whitespace
      lines.push(`${current}=`);
      current = '';
    }
    current += piece;
  }
  lines.push(current);
  return lines.join('\r\n');
}

/** Decodes quoted-printable (tolerant: lowercase hex, stray "=" kept as is, LF line ends). */
export function quotedPrintableDecode(input: Uint8Array): Buffer {
  const text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  const out = text
    .replace(/[ \t]+(?=\r?\n)/g, '')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(out, 'latin1');
}
