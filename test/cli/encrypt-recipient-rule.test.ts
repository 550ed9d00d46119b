/**
 * Issue 18: `cachet encrypt --to` accepted a CA certificate, a signing-only and a TLS server
 * certificate and exited 0, while sending refused them. Both now ask one rule
 * (recipientCertificateProblem): encrypt exits 1 with ERR_RECIPIENT_KEY_UNSUITABLE and writes
 * nothing, and the recipient lookup that `cachet send` uses rejects the same certificate with the
 * same reason. Certificates made by openssl at test time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';

let dir = '';
const KINDS = {
  ca: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,digitalSignature,keyEncipherment'],
  signing: ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=emailProtection'],
  server: ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth'],
  encryption: ['basicConstraints=CA:FALSE', 'keyUsage=critical,keyEncipherment', 'extendedKeyUsage=emailProtection'],
} as const;

const address = (kind: string): string => `${kind}@example.com`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-encrypt-rule-'));
  for (const [kind, extensions] of Object.entries(KINDS)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${kind}.key`), '-out', join(dir, `${kind}.pem`), '-days', '30', '-subj', `/CN=${kind}`,
      '-config', '/dev/null', '-addext', `subjectAltName=email:${address(kind)}`, ...extensions.flatMap((e) => ['-addext', e])], { stdio: 'pipe' });
  }
  writeFileSync(join(dir, 'message.txt'), 'Content-Type: text/plain\r\n\r\nFor your eyes.\r\n');
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('one rule for encryption recipients, in encrypt and in send', () => {
  const env = (): NodeJS.ProcessEnv => ({ CACHET_HOME: join(dir, 'home') });

  test('an encryption certificate is accepted by encrypt (the control)', async () => {
    const r = await runCachet(['encrypt', '--to', join(dir, 'encryption.pem'), '-i', join(dir, 'message.txt'), '-o', join(dir, 'encryption.eml')], { env: env() });
    assert.equal(r.status, 0, r.stderr);
  });

  for (const kind of ['ca', 'signing', 'server'] as const) {
    test(`a ${kind} certificate: encrypt exits 1 and writes nothing; the recipient lookup refuses it with the same reason`, async () => {
      const out = join(dir, `${kind}.eml`);
      const r = await runCachet(['encrypt', '--to', join(dir, `${kind}.pem`), '-i', join(dir, 'message.txt'), '-o', out], { env: env() });
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.equal(existsSync(out), false);
      const reason = /it cannot be used for encryption: [^\n]*/.exec(r.stderr)?.[0];
      assert.ok(reason, r.stderr);

      const imported = await runCachet(['addressbook', 'import', join(dir, `${kind}.pem`)], { env: env() });
      assert.equal(imported.status, 0, imported.stderr);
      const lookup = await runCachet(['lookup', address(kind), '--json'], { env: env() });
      assert.equal(lookup.status, 1, lookup.stdout);
      const [recipient] = JSON.parse(lookup.stdout).recipients;
      assert.equal(recipient.certificate ?? null, null);
      assert.equal(recipient.rejected[0].code, 'ERR_CERT_USAGE');
      assert.equal(recipient.rejected[0].reason, reason);
    });
  }
});
