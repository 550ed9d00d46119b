/**
 * A message passed on as Python's email package writes it (MIMEMessage: message/rfc822 with no
 * Content-Disposition), signed by alice with OpenSSL: made at test time by the other tools, for the
 * tests of embedded messages (test/reading, test/web).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { sign, withHeaders } from '../security/hostile-mail.js';

/** Made by Python's email package at test time: a note, and the message it passes on, with no Content-Disposition. */
export function pythonBuiltForward(): Buffer {
  const script = `
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
outer = MIMEMultipart()
del outer['MIME-Version']
outer.attach(MIMEText('See the message below.'))
outer.attach(MIMEMessage(inner))
sys.stdout.write(outer.as_string())
`;
  const entity = execFileSync('python3', ['-c', script]);
  assert.doesNotMatch(entity.toString(), /Content-Disposition/i, 'the embedded message has no Content-Disposition');
  return entity;
}

/** The note from alice to bob, carrying Carol's "Q3 budget" message; signed by alice (OpenSSL). */
export function signedForward(to = 'bob@example.com'): Buffer {
  return withHeaders({ From: 'alice@example.com', To: to, Subject: 'Budget, passed on', Date: 'Mon, 1 Jun 2026 09:00:00 +0000', 'MIME-Version': '1.0' }, sign('alice', pythonBuiltForward()));
}
