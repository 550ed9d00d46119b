/**
 * Bare CMS input as users hand it over: DER, PEM ("-----BEGIN CMS-----", "PKCS7", "PKCS #7 SIGNED
 * DATA"), or bare base64. Returns a DER byte stream; PEM and base64 are decoded as they stream.
 */
import { CachetError } from '../../errors.js';
import { peek, type ByteStream } from '../stream-types.js';
import { base64Decode } from '../mime/base64.js';

const BEGIN = Buffer.from('-----BEGIN');

/** How many first bytes looksLikeBareCms needs. */
export const BARE_CMS_SNIFF_BYTES = 80;

/**
 * Whether an input's first bytes are a bare CMS object rather than a MIME message — the one answer for
 * `open`, `verify` and `decrypt`. DER: a SEQUENCE with a long or indefinite length (a ContentInfo is
 * never under 128 bytes; "0" followed by such a byte starts no header). PEM: a BEGIN line. Bare
 * base64: a first line of 40 or more base64 characters, which a header field (it has a colon) never is.
 */
export function looksLikeBareCms(first: Uint8Array): boolean {
  if (first[0] === 0x30 && first.length > 1 && first[1]! >= 0x80 && first[1]! <= 0x84) return true;
  const text = Buffer.from(first.subarray(0, BARE_CMS_SNIFF_BYTES)).toString('latin1').trimStart();
  if (text.startsWith('-----BEGIN')) return true;
  const firstLine = text.split(/\r?\n/)[0] ?? '';
  return firstLine.length >= 40 && /^[A-Za-z0-9+/=]+$/.test(firstLine);
}
const END = Buffer.from('-----END');

export async function cmsInput(input: ByteStream): Promise<ByteStream> {
  // The first bytes tell DER from text.
  const { head: first, stream: whole } = await peek(input, 64);
  if (first.length === 0) throw new CachetError('ERR_CMS_MALFORMED', 'the input is empty');
  if (first[0] === 0x30) return whole;
  const text = first.subarray(0, 64).toString('latin1').trimStart();
  if (text.startsWith('-----BEGIN')) return base64Decode(pemBody(whole));
  if (/^[A-Za-z0-9+/]/.test(text)) return base64Decode(whole);
  throw new CachetError('ERR_CMS_MALFORMED', 'the input is neither DER nor PEM CMS data');
}

/** The base64 between a PEM BEGIN line and its END line. */
async function* pemBody(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let carry: Buffer = Buffer.alloc(0);
  let inBody = false;
  for await (const chunk of input) {
    let data = carry.length ? Buffer.concat([carry, chunk]) : Buffer.from(chunk);
    if (!inBody) {
      const begin = data.indexOf(BEGIN);
      const eol = begin >= 0 ? data.indexOf(10, begin) : -1;
      if (eol < 0) {
        carry = data;
        if (carry.length > 4096) throw new CachetError('ERR_CMS_MALFORMED', 'the PEM header line is malformed');
        continue;
      }
      inBody = true;
      data = data.subarray(eol + 1);
    }
    const end = data.indexOf(END);
    if (end >= 0) {
      yield data.subarray(0, end);
      return;
    }
    // Keep back enough to find an END marker split across chunks.
    const keep = Math.min(data.length, END.length - 1);
    yield data.subarray(0, data.length - keep);
    carry = Buffer.from(data.subarray(data.length - keep));
  }
  throw new CachetError('ERR_CMS_MALFORMED', 'the PEM data has no END line');
}
