/**
 * Issue 14: an unsigned mail whose Subject, From, body or attachment name holds terminal escapes must
 * not redraw the screen to read "Status: SIGNED". Whatever came from a message reaches the terminal
 * with its controls shown (␛[2J, <U+202E>), in every command; --json stays exact, and byte outputs
 * (cachet open to a file or pipe) stay byte for byte.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { oneLine, terminalSafe } from '../../src/front-ends/cli/terminal-text.js';
import { runCachet } from '../helpers/cli.js';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { withHeaders } from './hostile-mail.js';

const ESC = '\x1b';
/** Cursor home, clear the screen, then a fake status line — as an attacker's Subject would hold it. */
const REDRAW = `${ESC}[H${ESC}[2JStatus:    SIGNED — signature valid and trusted`;
const encodedWord = (text: string) => `=?utf-8?b?${Buffer.from(text, 'utf8').toString('base64')}?=`;

/** No control character but tab and newline, no bidi override, no C1 (0x9B is a one-byte CSI). */
function assertInert(text: string, where: string): void {
  const unsafe = [...text].filter((ch) => (/\p{Cc}/u.test(ch) && ch !== '\n' && ch !== '\t') || /[\u202a-\u202e\u2066-\u2069]/.test(ch));
  assert.deepEqual(unsafe, [], `${where} holds a raw control character`);
}

test('terminalSafe and oneLine: every control shown, tab and newline kept only where lines are allowed', () => {
  assert.equal(terminalSafe(`a${ESC}[2Jb\r\nc\rd\te\u009b1m\u202Ef`), 'a␛[2Jb\nc␍d\te<U+009B>1m<U+202E>f');
  assert.equal(oneLine('Figures\nStatus: SIGNED\t!'), 'Figures␊Status: SIGNED␉!');
  assert.equal(oneLine('Grüße — 日本'), 'Grüße — 日本', 'printable text is untouched');
});

let mail: MailHome;
let id: string;
const subject = `Figures\n${REDRAW}`;
const body = `Hello${ESC}]0;pwned${ESC}\\\r\n${REDRAW}\r\nlast line\u202Egnp.exe\r\n`;
before(async () => {
  mail = await createMailHome({ prefix: 'cachet-escapes-', users: [{ address: 'bob@example.com' }] });
  const message = withHeaders(
    { From: `${encodedWord(`Alice${ESC}[1A`)} <alice@example.com>`, To: 'bob@example.com', Subject: encodedWord(subject), 'MIME-Version': '1.0' },
    [
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(body, 'utf8').toString('base64'),
      '--b',
      `Content-Type: application/octet-stream; name="${encodedWord(`invoice${ESC}[2K\u202Efdp.exe`)}"`,
      'Content-Disposition: attachment',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('x').toString('base64'),
      '--b--',
      '',
    ].join('\r\n'),
  );
  id = await new Maildir(join(mail.userDir('bob@example.com'), 'mail')).deliver('INBOX', message);
});
after(() => mail?.remove());

test('cachet read: Subject, From, body and attachment name reach the terminal inert; the only status line is Cachet\'s', async () => {
  const read = await runCachet(['read', id], { env: mail.env });
  assert.equal(read.status, 0, read.stderr);
  assertInert(read.stdout, 'read');
  assertInert(read.stderr, 'read (stderr)');
  assert.equal(read.stdout.match(/^Status:/gm)?.length, 1, 'one status line, at the top');
  assert.match(read.stdout, /^Status: +not signed$/m);
  assert.match(read.stdout, /^Subject: +Figures ␛\[H␛\[2JStatus: SIGNED/m, 'the Subject stays on its line, its escapes visible');
  assert.match(read.stdout, /␛\]0;pwned/);
  assert.match(read.stdout, /^Attached: +invoice␛\[2K<U\+202E>fdp\.exe/m);
  // The fake status in the body stands below Cachet's boundary line.
  const boundary = read.stdout.indexOf('message content, as the sender wrote it');
  assert.ok(boundary > 0 && boundary < read.stdout.indexOf('␛[H␛[2JStatus:    SIGNED — signature valid and trusted\nlast'));
});

test('--json stays exact: the Subject holds its escape characters', async () => {
  const json = await runCachet(['read', id, '--json'], { env: mail.env });
  const parsed = JSON.parse(json.stdout) as { headers: { subject: string }; text: string };
  // The header as the engine gives it (white space runs folded to one space), escapes included.
  assert.equal(parsed.headers.subject, subject.replace(/\s+/g, ' '));
  assert.ok(parsed.text.includes(`${ESC}]0;pwned`));
});

test('cachet inbox, cachet open and error messages: inert too; open to a pipe or file stays byte for byte', async () => {
  const inbox = await runCachet(['inbox'], { env: mail.env });
  assertInert(inbox.stdout, 'inbox');
  assert.match(inbox.stdout, /Figures␊␛\[H/, 'the inbox shows the Subject as decoded, its newline visible');
  const raw = await new Maildir(join(mail.userDir('bob@example.com'), 'mail')).read('INBOX', id);
  const opened = await runCachet(['open'], { env: mail.env, stdin: raw });
  assert.equal(opened.status, 0, opened.stderr);
  assert.ok(opened.stdoutBytes.equals(raw), 'open writes the entity byte for byte when stdout is not a terminal');
  // An error quoting what the user gave (a file name with escapes) is one inert line.
  const missing = await runCachet(['open', '-i', `no-such${ESC}[2J\nStatus: SIGNED`], { env: mail.env });
  assert.notEqual(missing.status, 0);
  assertInert(missing.stderr, 'error');
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
});
