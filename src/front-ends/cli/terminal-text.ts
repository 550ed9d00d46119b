/**
 * What reaches a terminal. Text from a message (Subject, From, body, attachment names, certificate
 * names, error messages quoting any of these) may hold escape sequences that move the cursor, clear the
 * screen or set the title: an unsigned mail could redraw the screen to read "Status: SIGNED". Every
 * control character and every bidi override is therefore shown visibly, never obeyed — one function
 * decides ({@link terminalSafe}), applied to every human-readable output of the CLI:
 * - runCli wraps stdout (unless --json: JSON output stays exact, and JSON.stringify already escapes
 *   C0 controls) and stderr in {@link neutralisingStream};
 * - a value shown on one line of a report (a Subject with an encoded newline) is passed through
 *   {@link oneLine} as well, so it cannot start a line of its own ("Status: …");
 * - byte outputs (`open`, `decrypt`, `cert export` to stdout) bypass the text filter through
 *   {@link byteOutput}, except when stdout is a terminal.
 */
import { StringDecoder } from 'node:string_decoder';
import { Writable } from 'node:stream';

/**
 * C0 controls but tab and newline, DEL, C1 controls (U+0080–U+009F: 0x9B is a one-byte CSI on some
 * terminals), bidi embeddings, overrides, isolates and marks (they reorder what is shown, CVE-2021-42574),
 * and the Unicode line and paragraph separators.
 */
const UNSAFE = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** C0 controls as their Unicode Control Pictures (ESC → ␛), DEL as ␡, anything else as <U+XXXX>. */
function visible(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (code < 0x20) return String.fromCodePoint(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/**
 * Text made safe for a terminal: every control character and bidi control is replaced by a visible
 * stand-in; tabs and line feeds are kept (CRLF becomes LF, a lone CR is shown: it would overwrite the
 * start of its line).
 * @example terminalSafe('\x1b[2JStatus: SIGNED') // '␛[2JStatus: SIGNED'
 */
export function terminalSafe(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(UNSAFE, (ch) => (ch === '\n' || ch === '\t' ? ch : visible(ch)));
}

/** A value shown within one line (a header, a file name, a certificate subject): line breaks and tabs are shown too. */
export function oneLine(text: string): string {
  return text.replace(UNSAFE, visible);
}

const RAW = Symbol('cachet.raw-output');
type Wrapped = Writable & { [RAW]?: Writable; isTTY?: boolean };

/** A text stream in front of `target`: whatever is written to it passes {@link terminalSafe} first. */
export function neutralisingStream(target: Writable): Writable {
  const decoder = new StringDecoder('utf8');
  const wrapper: Wrapped = new Writable({
    decodeStrings: false,
    write(chunk: Buffer | string, _encoding, done) {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      // A reader gone away (EPIPE: `cachet read | head -1`) drops the rest, as for the raw stream.
      if (text.length === 0 || target.destroyed || target.write(terminalSafe(text))) return done();
      const finish = () => {
        target.off('drain', finish).off('close', finish).off('error', finish);
        done();
      };
      target.once('drain', finish).once('close', finish).once('error', finish);
    },
    final(done) {
      const rest = decoder.end();
      if (rest && !target.destroyed) target.write(terminalSafe(rest));
      done();
    },
  });
  wrapper[RAW] = target;
  // Progress lines and prompts ask whether a person is watching.
  wrapper.isTTY = (target as Wrapped).isTTY;
  return wrapper;
}

/**
 * The stream for bytes that must arrive exact (a decrypted entity, a DER file, a progress line drawn
 * by Cachet): the stream under the text filter — but when that is a terminal, message content is
 * shown through the filter still, since a person, not a program, reads it.
 */
export function byteOutput(stream: Writable): Writable {
  const raw = (stream as Wrapped)[RAW];
  if (raw === undefined) return stream;
  return (raw as Wrapped).isTTY ? stream : raw;
}

/** The stream under the text filter, for Cachet's own control sequences (the progress line). */
export function ownControlOutput(stream: Writable): Writable {
  return (stream as Wrapped)[RAW] ?? stream;
}
