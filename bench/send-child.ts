/**
 * One send in its own process, for `npm run bench` to time and to read the peak RSS of:
 *   node --import tsx bench/send-child.ts streamed|buffered HOME ATTACHMENT PASSPHRASE_FILE
 * alice sends ATTACHMENT to bob, signed and encrypted, delivered into bob's Maildir: `streamed`
 * through the send use case (as `cachet send --attach`), `buffered` through the old path kept in
 * bench/buffered-send.ts. Both open the same mail session, so they differ only in the send.
 */
import { readFileSync } from 'node:fs';
import { openMailSession } from '../src/use-cases/mail-session.js';
import { sendMessage } from '../src/use-cases/send.js';
import { currentUser } from '../src/use-cases/users.js';
import { sendBuffered } from './buffered-send.js';

const [mode, home, attachment, passphraseFile] = process.argv.slice(2);
if ((mode !== 'streamed' && mode !== 'buffered') || !home || !attachment || !passphraseFile) throw new Error('usage: send-child.ts streamed|buffered HOME ATTACHMENT PASSPHRASE_FILE');
const passphrase = readFileSync(passphraseFile, 'utf8');
const session = await openMailSession({
  home,
  user: await currentUser(home, 'alice@example.com'),
  unlock: { passphrase: async () => passphrase, pin: async () => Promise.reject(new Error('no token in the benchmark')) },
});
try {
  const context = { user: session.user, policy: session.policy, store: () => session.store(), source: session.source, resolveRecipients: session.resolveRecipients, transport: session.transport };
  const request = { to: ['bob@example.com'], subject: 'benchmark', text: 'The attachment follows.\n' };
  if (mode === 'streamed') {
    const outcome = await sendMessage({ ...request, attachments: [{ filename: 'data.bin', contentType: 'application/octet-stream', path: attachment }], sign: true, encrypt: true }, context);
    if (outcome.kind !== 'sent' || !outcome.encrypted || !outcome.signed) throw new Error(`not sent: ${JSON.stringify(outcome)}`);
  } else {
    await sendBuffered({ ...request, attachmentPath: attachment }, context);
  }
} finally {
  await session.close();
}
