/**
 * multipart/signed (RFC 1847, RFC 8551 §3.5): the splitter that hands verification the exact signed
 * bytes of the first body part, and the builder that writes a detached signature around an entity.
 *
 * Why our own splitter: mail parsers (postal-mime, mailparser) decode parts and lose the bytes the
 * signature covers. This one streams the first part through in place (no copy of the content), in
 * canonical form: line ends are CRLF (stored mail and some relays use bare LF; RFC 8551 §3.1.1 signs
 * the canonical CRLF form), and the CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
 */
import { randomBytes } from 'node:crypto';
import { CachetError } from '../../errors.js';
import type { ByteStream } from '../stream-types.js';

/** Bounds on the parts that are held in memory. */
export const MULTIPART_SIGNED_LIMITS = {
  /** The signature part (a CMS SignedData with certificates, base64). */
  maxSignaturePartBytes: 8 * 1024 * 1024,
  /** A line longer than this is passed through in pieces (it cannot be a delimiter). */
  maxHeldLineBytes: 64 * 1024,
  /**
   * For a sink that can take back what it was given (ByteSink.restart), a first part up to this size
   * is also kept as it was sent, to be released in that form if only that form verifies (see
   * FirstPartAsSent); a larger one is checked over its bytes as sent only when no content is wanted.
   */
  maxAsSentPartBytes: 8 * 1024 * 1024,
} as const;

export interface MultipartSignedParts {
  /** The signed entity's exact bytes (canonical CRLF), streamed. Consume it before `signaturePart()`. */
  signedContent: AsyncGenerator<Uint8Array>;
  /** The raw second body part (its header and body), once `signedContent` has been consumed. */
  signaturePart(): Promise<Uint8Array>;
}

const CRLF = Buffer.from('\r\n');
const LF = Buffer.from('\n');
const EMPTY = Buffer.alloc(0);

function mimeMalformed(message: string): CachetError {
  return new CachetError('ERR_MIME_MALFORMED', message);
}

type Delimiter = 'open' | 'close' | 'none';

/** RFC 2046 §5.1.1: "--" boundary, optionally "--", then only linear white space. */
function delimiterKind(data: Buffer, start: number, end: number, delimiter: Buffer): Delimiter {
  const length = end - start;
  if (length < delimiter.length || data[start] !== 0x2d || data[start + 1] !== 0x2d) return 'none';
  if (data.compare(delimiter, 0, delimiter.length, start, start + delimiter.length) !== 0) return 'none';
  let p = start + delimiter.length;
  let kind: Delimiter = 'open';
  if (p + 2 <= end && data[p] === 0x2d && data[p + 1] === 0x2d) {
    kind = 'close';
    p += 2;
  }
  for (; p < end; p++) if (data[p] !== 0x20 && data[p] !== 0x09) return 'none';
  return kind;
}

/** Splits the body of a multipart/signed entity (the bytes after its header block). */
export function splitMultipartSigned(body: ByteStream, boundary: string): MultipartSignedParts {
  if (!boundary || boundary.length > 200) throw mimeMalformed('the multipart/signed entity has no valid boundary parameter');
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const signature: Buffer[] = [];
  let signatureLength = 0;
  let finished = false;

  async function* signedContent(): AsyncGenerator<Uint8Array> {
    let state = 'preamble' as 'preamble' | 'content' | 'signature' | 'epilogue';
    let pending: Buffer = EMPTY;
    let midLine = false;
    // A line end owed before the next content: the CRLF before a delimiter belongs to the delimiter.
    let heldContentEol = false;
    let heldSignatureEol = false;
    let sawContent = false;
    // Whether the body uses CRLF line ends (from its first line end); LF-only bodies are converted.
    let crlfMode: boolean | undefined;
    const linePattern = Buffer.concat([Buffer.from('\n'), delimiter]);

    const addSignature = (bytes: Uint8Array): void => {
      signatureLength += bytes.length;
      if (signatureLength > MULTIPART_SIGNED_LIMITS.maxSignaturePartBytes) {
        throw new CachetError('ERR_LIMIT_EXCEEDED', 'the signature part of the multipart/signed message is too large');
      }
      signature.push(Buffer.from(bytes));
    };

    /** Processes complete lines of `data`; returns the output ranges and the unfinished tail. */
    const processLines = (data: Buffer, final: boolean): { out: Uint8Array[]; rest: Buffer } => {
      const out: Uint8Array[] = [];
      // Output ranges of `data` are merged while contiguous, so clean CRLF text leaves in one piece.
      let runStart = -1;
      let runEnd = -1;
      const emit = (start: number, end: number): void => {
        if (end <= start) return;
        if (runStart >= 0 && runEnd === start) {
          runEnd = end;
          return;
        }
        if (runStart >= 0) out.push(data.subarray(runStart, runEnd));
        runStart = start;
        runEnd = end;
      };
      const emitConstant = (bytes: Buffer): void => {
        if (runStart >= 0) out.push(data.subarray(runStart, runEnd));
        runStart = -1;
        out.push(bytes);
      };
      // Where the held EOL sits in `data` when it is a real CRLF there (else a constant is emitted).
      let heldEolAt = -1;
      let lineStart = 0;
      for (;;) {
        let lf = data.indexOf(10, lineStart);
        if (lf < 0) {
          if (!final || lineStart >= data.length) break;
          lf = data.length; // the last line has no line end
        }
        const crlf = lf > lineStart && lf < data.length && data[lf - 1] === 13;
        crlfMode ??= crlf;
        const lineEnd = crlf ? lf - 1 : lf;
        const kind = lineStart === 0 && midLine ? 'none' : delimiterKind(data, lineStart, lineEnd, delimiter);
        if (state === 'content' && crlfMode && kind === 'none' && lf < data.length) {
          // Fast path for CRLF text: no line-by-line work up to the next possible delimiter line
          // (found with one native search) or the last complete line of this chunk.
          const candidate = data.indexOf(linePattern, lf);
          const lastLf = candidate >= 0 ? candidate : data.lastIndexOf(10);
          const lastCrlf = lastLf > lineStart && data[lastLf - 1] === 13;
          if (heldContentEol) {
            if (heldEolAt >= 0) emit(heldEolAt, heldEolAt + 2);
            else emitConstant(CRLF);
          }
          // Bare LFs inside a CRLF message pass through as they are (they were signed as they are).
          const end = lastCrlf ? lastLf - 1 : lastLf;
          emit(lineStart, end);
          sawContent = true;
          heldContentEol = true;
          heldEolAt = lastCrlf ? end : -1;
          midLine = false;
          lineStart = lastLf + 1;
          continue;
        }
        if (state === 'preamble') {
          if (kind === 'open') state = 'content';
          else if (kind === 'close') throw mimeMalformed('the multipart/signed message has no parts');
        } else if (state === 'content') {
          if (kind === 'none') {
            if (heldContentEol) {
              if (heldEolAt >= 0) emit(heldEolAt, heldEolAt + 2);
              else emitConstant(CRLF);
            }
            emit(lineStart, lineEnd);
            sawContent = true;
            heldContentEol = lf < data.length;
            heldEolAt = crlf ? lineEnd : -1;
          } else if (kind === 'open') {
            state = 'signature';
          } else {
            throw mimeMalformed('the multipart/signed message has no signature part');
          }
        } else if (state === 'signature') {
          if (kind === 'none') {
            if (heldSignatureEol) addSignature(CRLF);
            addSignature(data.subarray(lineStart, lineEnd));
            heldSignatureEol = lf < data.length;
          } else if (kind === 'close') {
            state = 'epilogue';
          } else {
            throw mimeMalformed('the multipart/signed message has more than two parts');
          }
        }
        midLine = false;
        lineStart = lf + 1;
        if (lf >= data.length) break;
      }
      if (runStart >= 0) out.push(data.subarray(runStart, runEnd));
      // A held real CRLF of this chunk becomes a constant for the next one (same bytes).
      return { out, rest: lineStart < data.length ? data.subarray(lineStart) : EMPTY };
    };

    for await (const chunk of body) {
      if (chunk.length === 0) continue;
      let piece = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (pending.length > 0) {
        // Finish the carried line on its own rather than copying the whole chunk behind it.
        const lf = piece.indexOf(10);
        if (lf < 0) {
          pending = Buffer.concat([pending, piece]);
          piece = EMPTY;
        } else {
          const line = Buffer.concat([pending, piece.subarray(0, lf + 1)]);
          pending = EMPTY;
          const { out } = processLines(line, false);
          for (const part of out) yield part;
          piece = piece.subarray(lf + 1);
        }
      }
      if (piece.length > 0) {
        const { out, rest } = processLines(piece, false);
        for (const part of out) yield part;
        // The unfinished last line is copied: the upstream may reuse its buffer.
        pending = rest.length > 0 ? Buffer.from(rest) : EMPTY;
      }
      // A very long line cannot be a delimiter: pass it on in pieces, keeping a trailing CR back.
      if (pending.length > MULTIPART_SIGNED_LIMITS.maxHeldLineBytes) {
        const keep = pending[pending.length - 1] === 13 ? 1 : 0;
        const flush = pending.subarray(0, pending.length - keep);
        if (state === 'content') {
          if (heldContentEol) yield CRLF;
          heldContentEol = false;
          yield Buffer.from(flush);
          sawContent = true;
        } else if (state === 'signature') {
          if (heldSignatureEol) addSignature(CRLF);
          heldSignatureEol = false;
          addSignature(flush);
        }
        pending = keep ? Buffer.from([13]) : EMPTY;
        midLine = true;
      }
    }
    if (pending.length > 0) {
      const { out } = processLines(pending, true);
      for (const part of out) yield part;
    }
    if (state === 'preamble') throw mimeMalformed('the multipart/signed boundary never appears in the body');
    if (state === 'content') throw mimeMalformed('the multipart/signed message has no signature part');
    if (!sawContent && state !== 'epilogue' && signatureLength === 0) throw mimeMalformed('the multipart/signed message is empty');
    finished = true;
  }

  return {
    signedContent: signedContent(),
    async signaturePart() {
      if (!finished) throw new CachetError('ERR_INTERNAL', 'the signed content must be read before the signature part');
      return Buffer.concat(signature);
    },
  };
}

type DelimiterLine = 'open' | 'close' | 'none' | 'more';

/**
 * Whether the line that starts with "--boundary" (its bytes after the boundary from `at`) is a
 * delimiter line: "--" to close, then only linear white space to the line end (RFC 2046 §5.1.1);
 * 'more' when the bytes so far cannot tell (the end of input, `final`, ends the line).
 */
function delimiterLineAt(data: Buffer, at: number, final: boolean): DelimiterLine {
  let i = at;
  let kind: 'open' | 'close' = 'open';
  if (data[i] === 0x2d) {
    if (i + 1 >= data.length) return final ? 'none' : 'more';
    if (data[i + 1] !== 0x2d) return 'none';
    kind = 'close';
    i += 2;
  }
  for (; i < data.length; i++) {
    const byte = data[i];
    if (byte === 0x20 || byte === 0x09) continue;
    if (byte === 0x0a) return kind;
    if (byte !== 0x0d) return 'none';
    if (i + 1 >= data.length) return final ? kind : 'more';
    return data[i + 1] === 0x0a ? kind : 'none';
  }
  return final ? kind : 'more';
}

/**
 * The first body part of a multipart/signed body exactly as it was sent, found as the body streams:
 * the bytes after the first delimiter line up to the line end before the next one (which belongs to
 * that delimiter, RFC 2046 §5.1.1), with no line end converted. RFC 8551 §3.1.1 signs the canonical
 * CRLF form, but AS2 (RFC 4130) and some gateways sign a binary application/octet-stream part over
 * its raw bytes, bare LFs and CRs included.
 *
 * The part's bytes go to `onBytes` in order as they are found (views of the input: copy what you
 * keep); nothing is held but a line's start that may be a delimiter. `finish()` says whether a whole
 * first part was found (false: no delimiter, a close delimiter first, or the body ends inside it).
 */
export class FirstPartAsSent {
  private state: 'preamble' | 'part' | 'found' | 'none' = 'preamble';
  /** Unread bytes from the last chunk; index 0 is at a line start when `lineStart`. */
  private carry: Buffer = LF;
  /** In the part, bytes of `carry` before this index are not the part's (the line end that starts it). */
  private skip = 1;
  private readonly linePattern: Buffer;

  constructor(
    boundary: string,
    private readonly onBytes: (bytes: Buffer) => void,
  ) {
    // A delimiter line starts after a line end; the body's own start counts as one (the LF in carry).
    this.linePattern = Buffer.from(`\n--${boundary}`, 'latin1');
  }

  update(chunk: Uint8Array): void {
    if (this.state === 'found' || this.state === 'none' || chunk.length === 0) return;
    const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.process(this.carry.length > 0 ? Buffer.concat([this.carry, view]) : view, false);
  }

  finish(): boolean {
    if (this.state === 'preamble' || this.state === 'part') this.process(this.carry, true);
    if (this.state !== 'found') this.state = 'none';
    this.carry = EMPTY;
    return this.state === 'found';
  }

  private process(data: Buffer, final: boolean): void {
    let from = 0;
    for (;;) {
      const hit = data.indexOf(this.linePattern, from);
      if (hit === -1) {
        // Keep what could begin a delimiter line the next chunk completes (and the CR before it).
        this.hold(data, Math.max(0, data.length - this.linePattern.length), final);
        return;
      }
      const after = hit + this.linePattern.length;
      let line = delimiterLineAt(data, after, final);
      if (line === 'more' && data.length - hit > MULTIPART_SIGNED_LIMITS.maxHeldLineBytes) line = 'none'; // too long to be one
      if (line === 'more') {
        this.hold(data, Math.max(0, hit - 1), final);
        return;
      }
      if (line === 'none') {
        from = hit + 1;
        continue;
      }
      if (this.state === 'preamble') {
        if (line === 'close') {
          this.state = 'none';
          return;
        }
        // The part starts after this line's LF; that LF starts its first line (a delimiter may follow at once).
        const lf = data.indexOf(0x0a, after);
        if (lf === -1) {
          this.state = 'none'; // the body ends on the first delimiter line
          return;
        }
        this.state = 'part';
        data = data.subarray(lf);
        this.skip = 1;
        from = 0;
        continue;
      }
      // The line end before this delimiter (CRLF, or a bare LF) belongs to it.
      const end = hit > this.skip && data[hit - 1] === 0x0d ? hit - 1 : hit;
      if (end > this.skip) this.onBytes(data.subarray(this.skip, end));
      this.state = 'found';
      return;
    }
  }

  /** Hands on the part's bytes before `keepFrom` and keeps the rest (a copy: the input may be reused). */
  private hold(data: Buffer, keepFrom: number, final: boolean): void {
    if (final) {
      this.state = 'none'; // no delimiter after the part: no whole first part
      return;
    }
    if (this.state === 'part' && keepFrom > this.skip) this.onBytes(data.subarray(this.skip, keepFrom));
    this.skip = Math.max(0, this.skip - keepFrom);
    this.carry = Buffer.from(data.subarray(keepFrom));
  }
}

/** A boundary that cannot occur in base64 or quoted-printable text ("=_" is neither). */
export function newBoundary(): string {
  return `----=_cachet_${randomBytes(12).toString('hex')}`;
}

export interface MultipartSignedBuild {
  /** The signed entity, canonical and transport-safe; it goes out unchanged. */
  entity: ByteStream;
  /** Called with each entity chunk as it goes out (the signer hashes it). */
  onContent(chunk: Uint8Array): void;
  /** After the entity: the base64 lines of the detached signature, CRLF-terminated. */
  signature(): AsyncIterable<Uint8Array>;
  /** RFC 8551 §3.5.3 micalg. */
  micalg: string;
  boundary?: string;
}

/**
 * Writes `multipart/signed; protocol="application/pkcs7-signature"` around an entity:
 * header fields, the entity as the first part, the signature as the second.
 */
export async function* buildMultipartSigned(build: MultipartSignedBuild): AsyncGenerator<Uint8Array> {
  const boundary = build.boundary ?? newBoundary();
  yield Buffer.from(
    `Content-Type: multipart/signed; protocol="application/pkcs7-signature";\r\n micalg=${build.micalg}; boundary="${boundary}"\r\n` +
      '\r\n' +
      'This is a cryptographically signed message in MIME format.\r\n' +
      '\r\n' +
      `--${boundary}\r\n`,
    'latin1',
  );
  for await (const chunk of build.entity) {
    build.onContent(chunk);
    yield chunk;
  }
  yield Buffer.from(
    `\r\n--${boundary}\r\n` +
      'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n' +
      'Content-Transfer-Encoding: base64\r\n' +
      'Content-Disposition: attachment; filename="smime.p7s"\r\n' +
      'Content-Description: S/MIME Cryptographic Signature\r\n' +
      '\r\n',
    'latin1',
  );
  yield* build.signature();
  yield Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
}
