/** What the `cachet ca` commands say when there is no CA, or the options are wrong. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cachet, caWorkspace, type CaWorkspace } from './support.js';

let ws: CaWorkspace;
before(() => {
  ws = caWorkspace('cachet-ca-errors-');
});
after(() => ws?.remove());

describe('cachet ca: errors', () => {
  test('every command that needs a CA says to run "cachet ca init" first', async () => {
    for (const args of [['ca', 'cert'], ['ca', 'crl', '--passphrase-file', ws.passphraseFile], ['ca', 'revoke', '01', '--passphrase-file', ws.passphraseFile, '--json'], ['ca', 'ocsp', '--port', '0', '--passphrase-file', ws.passphraseFile]]) {
      const r = await cachet(args, ws.env);
      assert.equal(r.status, 1, args.join(' '));
      assert.match(r.stderr, /no CA has been set up .*cachet ca init/, args.join(' '));
    }
  });

  test('init: a short passphrase, an https or malformed --http-base, an unknown key type are refused; nothing is created', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--key', 'rsa-1024'], /--key must be one of/],
      [['--http-base', 'https://pki.example.com'], /http:\/\//],
      [['--http-base', 'not a url'], /is not a URL/],
    ];
    for (const [extra, message] of cases) {
      const r = await cachet(['ca', 'init', '--passphrase-file', ws.passphraseFile, ...extra, '--json'], ws.env);
      assert.equal(r.status, 2, extra.join(' '));
      assert.match(JSON.parse(r.stdout).error.message, message);
    }
    const short = await cachet(['ca', 'init', '--json'], { ...ws.env, CACHET_CA_PASSPHRASE: 'short' });
    assert.equal(short.status, 2);
    assert.match(JSON.parse(short.stdout).error.message, /at least 8 characters/);
    const none = await cachet(['ca', 'init', '--json'], ws.env);
    assert.equal(none.status, 4);
    assert.equal(JSON.parse(none.stdout).error.code, 'ERR_PASSWORD_REQUIRED');
    assert.equal(existsSync(`${ws.env.CACHET_HOME}/ca/ca.json`), false);
  });

  test('issue: unknown template, missing options, --csr with key options', async () => {
    const unknown = await cachet(['ca', 'issue', '--template', 'nope', '--email', 'a@example.com', '--out', 'x', '--json'], ws.env);
    assert.equal(unknown.status, 2);
    assert.equal(JSON.parse(unknown.stdout).error.code, 'ERR_TEMPLATE_UNKNOWN');
    const noOut = await cachet(['ca', 'issue', '--template', 'dual', '--email', 'a@example.com', '--json'], ws.env);
    assert.match(JSON.parse(noOut.stdout).error.message, /--out is required/);
    const mixed = await cachet(['ca', 'issue', '--template', 'dual', '--csr', 'r.pem', '--key', 'ec-p256', '--out', 'x', '--json'], ws.env);
    assert.equal(JSON.parse(mixed.stdout).error.code, 'ERR_USAGE');
    const badMail = await cachet(['ca', 'issue', '--template', 'dual', '--email', 'not-a-mailbox', '--out', 'x', '--json'], ws.env);
    assert.equal(JSON.parse(badMail.stdout).error.code, 'ERR_USAGE');
  });
});
