/**
 * A message passed on as Python's email package writes it (MIMEMessage: message/rfc822 with no
 * Content-Disposition), signed by alice with OpenSSL: made at test time by the other tools, for the
 * tests of embedded messages (test/reading, test/web).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { sign, withHeaders } from '../security/hostile-mail.js';

/** Carol's message, which alice passes on. */
const INNER = `
import sys
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.mime.message import MIMEMessage
inner = EmailMessage()
inner['From'] = 'Carol <carol@example.com>'
inner['To'] = 'alice@example.com'
inner['Subject'] = 'Q3 budget'
inner.set_content('The budget is 4 million.')
`;

function python(script: string): Buffer {
  const entity = execFileSync('python3', ['-c', `${INNER}${script}\ndel outer['MIME-Version']\nsys.stdout.write(outer.as_string())\n`]);
  assert.doesNotMatch(entity.toString(), /Content-Disposition/i, 'the embedded message has no Content-Disposition');
  return entity;
}

/** A note, and the message it passes on. */
export function pythonBuiltForward(): Buffer {
  return python("outer = MIMEMultipart()\nouter.attach(MIMEText('See the message below.'))\nouter.attach(MIMEMessage(inner))");
}

/** Only the message passed on, as the whole content: message/rfc822 at the root, no text part. */
export function pythonBuiltBareForward(): Buffer {
  return python('outer = MIMEMessage(inner)');
}

/** From alice to `to`, signed by alice (OpenSSL); by default the note carrying Carol's "Q3 budget". */
export function signedForward(to = 'bob@example.com', content: Buffer = pythonBuiltForward()): Buffer {
  return withHeaders({ From: 'alice@example.com', To: to, Subject: 'Budget, passed on', Date: 'Mon, 1 Jun 2026 09:00:00 +0000', 'MIME-Version': '1.0' }, sign('alice', content));
}
