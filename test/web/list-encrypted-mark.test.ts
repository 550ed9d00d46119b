/**
 * Issue 16, the message list's "Encrypted" mark (Chromium through playwright-core): it says what
 * opening the message would find (engine/smime/open.ts layerOf: a pkcs7-mime body's own content
 * type), not the smime-type label: a signed message labelled enveloped-data is not marked encrypted
 * (it is marked signed), encrypted content labelled signed-data or without a label (Outlook's untyped
 * pkcs7-mime) is marked encrypted — and a reply to that untyped one is refused in clear.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshotPath } from '../helpers/browser.js';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { certificateDer, privateKey } from '../helpers/pki.js';
import { encryptEntity } from '../../src/engine/smime/encrypt.js';
import { signEntity } from '../../src/engine/smime/sign.js';
import { softwareKey } from '../../src/engine/software-key.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';
import { replyContext } from '../../src/use-cases/folder-listing.js';

let web: DemoWebClient;
const ids: Record<string, string> = {};

const ENTITY = Buffer.from('Content-Type: text/plain; charset=utf-8\r\n\r\nInside.\r\n');

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-list-mark-' });
  const alice = web.org.users.find((u) => u.user.address.startsWith('alice@'))!;
  const header = (subject: string) => `From: Bob <bob@${web.org.domain}>\r\nTo: ${alice.user.address}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\nMIME-Version: 1.0\r\n`;
  const encrypted = (await collectBytes(encryptEntity(toByteStream(ENTITY), { recipients: [{ certificate: certificateDer('bob') }], cipher: 'aes-256-gcm' }))).toString('latin1');
  const signed = (await collectBytes(signEntity(toByteStream(ENTITY), { signers: [{ certificate: certificateDer('bob'), key: softwareKey(privateKey('bob')) }], mode: 'opaque' }))).toString('latin1');
  assert.match(encrypted, /smime-type=(enveloped|authEnveloped)-data/i);
  assert.match(signed, /smime-type=signed-data/);
  const messages: Record<string, string> = {
    'Truly encrypted': encrypted,
    'Signed but labelled encrypted': signed.replace('smime-type=signed-data', 'smime-type=enveloped-data'),
    'Encrypted but labelled signed': encrypted.replace(/smime-type=[\w-]+/i, 'smime-type=signed-data'),
    'Encrypted without a label': encrypted.replace(/;\s*smime-type=[\w-]+/i, ''),
  };
  for (const [subject, entity] of Object.entries(messages)) ids[subject] = await alice.user.mailbox.deliver('INBOX', Buffer.from(header(subject) + entity, 'latin1'));
});

after(() => web?.close());

test('the list marks as encrypted what is encrypted inside, whatever the label says', async () => {
  const page = await web.signIn('alice');
  const row = (subject: string) => page.getByTestId('message-link').filter({ hasText: subject });
  await row('Encrypted without a label').waitFor();
  const marks = async (subject: string) => ({
    encrypted: await row(subject).getByRole('img', { name: 'Encrypted' }).count(),
    signed: await row(subject).getByRole('img', { name: /^Signed/ }).count(),
  });
  assert.deepEqual(await marks('Truly encrypted'), { encrypted: 1, signed: 0 });
  assert.deepEqual(await marks('Signed but labelled encrypted'), { encrypted: 0, signed: 1 }, 'a mislabelled signed message does not look encrypted');
  assert.deepEqual(await marks('Encrypted but labelled signed'), { encrypted: 1, signed: 0 });
  assert.deepEqual(await marks('Encrypted without a label'), { encrypted: 1, signed: 0 }, "Outlook's untyped encrypted mail is encrypted");
  await page.screenshot({ path: screenshotPath('list-encrypted-mark'), fullPage: true });
  await page.context().close();

  // A reply quoting the untyped encrypted message must not go out in clear (send.ts replyToEncrypted).
  const alice = web.org.users.find((u) => u.user.address.startsWith('alice@'))!;
  assert.equal((await replyContext(alice.user.mailbox, 'INBOX', ids['Encrypted without a label']!)).encrypted, true);
  assert.equal((await replyContext(alice.user.mailbox, 'INBOX', ids['Signed but labelled encrypted']!)).encrypted, true, 'a claim of encryption keeps the reply safe too');
});
