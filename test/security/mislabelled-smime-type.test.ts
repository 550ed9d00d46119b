/**
 * Issue 14: a signed message labelled `smime-type=enveloped-data` asked for the vault passphrase.
 * The label is only a claim: the CMS content type decides how a layer is opened, so reading signed
 * mail never unlocks keys, whatever its label says.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { runCachet } from '../helpers/cli.js';
import { pkiBytes, pkiFile } from '../helpers/pki.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { openMessage } from '../../src/engine/smime/open.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';

const USER = 'bob@example.com';
let home: MailHome;
before(async () => {
  home = await createMailHome({ prefix: 'cachet-mislabel-', users: [{ address: USER, p12: 'bob', role: 'encryption' }] });
});
after(() => home.remove());

/** An opaque-signed message by alice (made by OpenSSL), with its smime-type relabelled. */
function mislabelled(label: string): Buffer {
  const signed = execFileSync('openssl', ['cms', '-sign', '-nodetach', '-signer', pkiFile('alice.pem'), '-inkey', pkiFile('alice.key'), '-md', 'sha256'], {
    input: 'Content-Type: text/plain\r\n\r\nSigned, whatever the label says.\r\n',
  }).toString('latin1');
  assert.match(signed, /smime-type=signed-data/);
  return Buffer.from(`From: alice@example.com\r\nTo: ${USER}\r\nSubject: Label\r\n${signed.replace('smime-type=signed-data', `smime-type=${label}`)}`, 'latin1');
}

test('engine: a signed layer labelled enveloped-data (or authenveloped-data) is verified, no key asked for', async () => {
  for (const label of ['enveloped-data', 'authenveloped-data', 'compressed-data']) {
    let asked = false;
    const opened = await openMessage(toByteStream(mislabelled(label)), {
      decryptors: async () => {
        asked = true;
        return [];
      },
      validator: createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')] }),
    });
    try {
      assert.equal(asked, false, `${label}: no key asked for`);
      assert.equal(opened.report.status, 'valid');
      assert.equal(opened.report.encrypted, false);
      assert.match((await collectBytes(opened.content)).toString(), /whatever the label says/);
    } finally {
      await opened.dispose();
    }
  }
});

test('cachet read: no passphrase asked, the message reads as signed', async () => {
  const id = await new Maildir(join(home.userDir(USER), 'mail')).deliver('INBOX', mislabelled('enveloped-data'));
  // No CACHET_VAULT_PASSPHRASE and no terminal: asking for it would fail with ERR_PASSWORD_REQUIRED.
  const { CACHET_VAULT_PASSPHRASE: _passphrase, ...env } = home.env;
  const run = await runCachet(['read', id, '--as', USER, '--json'], { env });
  assert.equal(run.status, 0, run.stderr);
  const shown = JSON.parse(run.stdout) as { status: string; encrypted: boolean; text: string };
  assert.equal(shown.status, 'valid');
  assert.equal(shown.encrypted, false);
  assert.match(shown.text, /whatever the label says/);
});
