/**
 * The server configuration file: the documented example reads, every key in the schema is in
 * docs/server-config.md with its sentence, and an unknown key, a bad value or a missing requirement
 * is refused with the key and its line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { documentedKeys, parseServerConfig } from '../../src/front-ends/server/config.js';
import { isCachetError } from '../../src/errors.js';

const DOC = readFileSync(new URL('../../docs/server-config.md', import.meta.url), 'utf8');

const MINIMAL = `state:
  directory: /var/lib/cachet
keys:
  keyEncryptionKeyFile: kek
`;

test("the documentation's example is a valid configuration", () => {
  const example = /```yaml\n([\s\S]*?)```/.exec(DOC)![1]!;
  const config = parseServerConfig(example, '/etc/cachet/server.yaml');
  assert.equal(config.listen.host, '0.0.0.0');
  assert.equal(config.signIn.method, 'imap');
  assert.equal(config.mail.imap?.tls, 'implicit');
  assert.equal(config.tls?.hstsMaxAgeSeconds, 31_536_000);
  assert.equal(config.keys.keyEncryptionKeyFile, '/etc/cachet/kek');
});

test('every key of the schema is documented with its meaning and default', () => {
  for (const { key, doc, default: fallback } of documentedKeys()) {
    assert.ok(DOC.includes(`| \`${key}\` | ${fallback} | ${doc} |`), `docs/server-config.md lacks ${key}`);
  }
});

test('defaults fill what is not written, and relative paths are relative to the file', () => {
  const config = parseServerConfig(MINIMAL, '/etc/cachet/server.yaml');
  assert.deepEqual(config.listen, { host: '127.0.0.1', port: 8443 });
  assert.equal(config.tls, undefined);
  assert.equal(config.keys.keyEncryptionKeyFile, '/etc/cachet/kek');
  assert.equal(config.signIn.method, 'local');
  assert.equal(config.limits.sessionIdleMinutes, 30);
});

function refusal(text: string): { message: string; key: unknown; line: unknown } {
  try {
    parseServerConfig(text, '/etc/cachet/server.yaml');
  } catch (error) {
    assert.ok(isCachetError(error, 'ERR_POLICY_INVALID'), String(error));
    return { message: error.message, key: error.details['key'], line: error.details['line'] };
  }
  assert.fail('the configuration was accepted');
}

test('an unknown key is refused with its path and line', () => {
  const r = refusal(`${MINIMAL}listen:\n  host: 127.0.0.1\n  prot: 8443\n`);
  assert.equal(r.key, '"listen.prot"');
  assert.equal(r.line, 7);
  assert.match(r.message, /server\.yaml, line 7: "listen\.prot" is not a known key; known here: host, port/);
  assert.equal(refusal(`${MINIMAL}tsl:\n  certificate: a\n`).line, 5);
});

test('bad values, duplicates and missing requirements are refused by name', () => {
  assert.match(refusal(`${MINIMAL}listen:\n  port: 70000\n`).message, /line 6: "listen\.port" is 70000; allowed: a port number/);
  assert.match(refusal(`${MINIMAL}signIn:\n  method: kerberos\n`).message, /"signIn\.method" is "kerberos"; allowed: imap \| ldap \| local/);
  assert.match(refusal(`${MINIMAL}limits:\n  uploadBytes: 2048\n  uploadBytes: 4096\n`).message, /"limits\.uploadBytes" is given twice/);
  assert.match(refusal('state:\n  directory: /x\n').message, /"keys" must be a map|"keys\.keyEncryptionKeyFile" is required/);
  assert.match(refusal(`${MINIMAL}signIn:\n  method: imap\n`).message, /needs mail\.imap/);
  assert.match(refusal(`${MINIMAL}tls:\n  certificate: c.pem\n  key: k.pem\nproxy:\n  trustedAddresses: [10.0.0.1]\n`).message, /exclude each other/);
  assert.match(refusal('listen: [\n').message, /line \d+: not valid YAML/);
});
