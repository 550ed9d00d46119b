/**
 * `cachet trust add|list|remove`, and `cachet verify` / `cachet open` trusting the store's anchors
 * without --trust.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { pkiBytes, pkiFile } from '../helpers/pki.js';

let root: string;
let homes = 0;
const freshHome = (): { CACHET_HOME: string } => ({ CACHET_HOME: join(root, `home-${homes++}`) });
const pemFingerprint = (name: string): string =>
  createHash('sha256').update(Buffer.from(pkiBytes(`${name}.pem`).toString('latin1').replace(/-----[^-]+-----|\s/g, ''), 'base64')).digest('hex');

const MESSAGE = 'From: alice@example.com\r\nTo: bob@example.com\r\nSubject: trust\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nHello.\r\n';

before(() => {
  root = mkdtempSync(join(tmpdir(), 'cachet-trust-cli-'));
  writeFileSync(join(root, 'msg.eml'), MESSAGE);
  writeFileSync(join(root, 'alice-signer.pem'), Buffer.concat([pkiBytes('alice.key'), pkiBytes('alice.pem')]));
  writeFileSync(join(root, 'eve-signer.pem'), Buffer.concat([pkiBytes('eve.key'), pkiBytes('eve.pem')]));
});
after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('cachet trust', () => {
  test('add stores the root under its fingerprint; list shows it; adding again is harmless; remove by fingerprint prefix', async () => {
    const env = freshHome();
    const added = await runCachet(['trust', 'add', pkiFile('ca.pem'), '--json'], { env });
    assert.equal(added.status, 0, added.stderr);
    const id = pemFingerprint('ca');
    assert.deepEqual(JSON.parse(added.stdout), { added: [{ id, subject: 'CN=Test SMIME Root CA,O=Test', new: true }] });
    assert.deepEqual(readdirSync(join(env.CACHET_HOME, 'trust')), [`${id}.pem`]);
    const again = await runCachet(['trust', 'add', pkiFile('ca.pem'), '--json'], { env });
    assert.equal((JSON.parse(again.stdout) as { added: Array<{ new: boolean }> }).added[0]!.new, false);
    // a bundle: the intermediate and the root again
    assert.equal((await runCachet(['trust', 'add', pkiFile('chain.pem')], { env })).status, 0);
    const list = JSON.parse((await runCachet(['trust', 'list', '--json'], { env })).stdout) as { anchors: Array<{ id: string; subject: string; source: string }> };
    assert.deepEqual(list.anchors.map((a) => a.subject).sort(), ['CN=Test SMIME Issuing CA,O=Test', 'CN=Test SMIME Root CA,O=Test']);
    const removed = await runCachet(['trust', 'remove', id.slice(0, 12).toUpperCase()], { env });
    assert.equal(removed.status, 0, removed.stderr);
    assert.match(removed.stdout, /no longer trusted: CN=Test SMIME Root CA/);
    assert.equal(existsSync(join(env.CACHET_HOME, 'trust', `${id}.pem`)), false);
    const byFile = await runCachet(['trust', 'remove', pkiFile('inter.pem')], { env });
    assert.equal(byFile.status, 0, byFile.stderr);
    assert.deepEqual(JSON.parse((await runCachet(['trust', 'list', '--json'], { env })).stdout), { anchors: [] });
  });

  test('a non-CA certificate is refused unless --force; an unknown fingerprint is named', async () => {
    const env = freshHome();
    const refused = await runCachet(['trust', 'add', pkiFile('alice.pem'), '--json'], { env });
    assert.equal(refused.status, 1);
    assert.equal((JSON.parse(refused.stdout) as { error: { code: string } }).error.code, 'ERR_TRUST_STORE');
    assert.match(refused.stderr, /not a CA certificate/);
    assert.equal(existsSync(join(env.CACHET_HOME, 'trust')), false);
    assert.equal((await runCachet(['trust', 'add', pkiFile('alice.pem'), '--force'], { env })).status, 0);
    const missing = await runCachet(['trust', 'remove', 'abcdef0123456789', '--json'], { env });
    assert.equal((JSON.parse(missing.stdout) as { error: { code: string } }).error.code, 'ERR_CERT_NOT_FOUND');
  });

  test("the organisation's anchors ($CACHET_ORG_HOME/trust) are listed as such, and count for verify", async () => {
    const env = { ...freshHome(), CACHET_ORG_HOME: join(root, `org-${homes}`) };
    const org = await runCachet(['trust', 'add', pkiFile('ca.pem')], { env: { CACHET_HOME: env.CACHET_ORG_HOME } });
    assert.equal(org.status, 0, org.stderr);
    const list = JSON.parse((await runCachet(['trust', 'list', '--json'], { env })).stdout) as { anchors: Array<{ subject: string; source: string }> };
    assert.deepEqual(list.anchors.map((a) => [a.subject, a.source]), [['CN=Test SMIME Root CA,O=Test', 'organisation']]);
  });

  test('--system adds the system bundle to the list', async () => {
    const env = freshHome();
    const list = JSON.parse((await runCachet(['trust', 'list', '--system', '--json'], { env })).stdout) as { anchors: Array<{ source: string }> };
    assert.ok(list.anchors.length > 10, 'the system bundle has anchors');
    assert.ok(list.anchors.every((a) => a.source === 'system'));
  });
});

describe('verify and open use the trust store by default', () => {
  let alice: string;
  let eve: string;
  before(async () => {
    alice = join(root, 'alice-signed.eml');
    eve = join(root, 'eve-signed.eml');
    for (const [signer, out] of [['alice-signer.pem', alice], ['eve-signer.pem', eve]] as const) {
      const r = await runCachet(['sign', '--signer', join(root, signer), '-i', join(root, 'msg.eml'), '-o', out]);
      assert.equal(r.status, 0, r.stderr);
    }
  });

  test('verify: with the root in the store, alice is trusted without --trust; eve is not (exit 5, Bars Root CA)', async () => {
    const env = freshHome();
    const before = await runCachet(['verify', '-i', alice, '--json'], { env });
    assert.equal(before.status, 0, before.stderr);
    assert.equal((JSON.parse(before.stdout) as { trusted: boolean | null }).trusted, null, 'no anchors: nothing to trust against');
    assert.equal((await runCachet(['trust', 'add', pkiFile('ca.pem')], { env })).status, 0);
    const trusted = await runCachet(['verify', '-i', alice, '--json'], { env });
    assert.equal(trusted.status, 0, trusted.stderr);
    assert.equal((JSON.parse(trusted.stdout) as { trusted: boolean }).trusted, true);
    const untrusted = await runCachet(['verify', '-i', eve], { env });
    assert.equal(untrusted.status, 5);
    assert.match(untrusted.stderr, /issued by a CA you do not trust: Bars Root CA/);
  });

  test('open: the store makes alice\'s message "valid"', async () => {
    const env = freshHome();
    assert.equal((await runCachet(['trust', 'add', pkiFile('ca.pem')], { env })).status, 0);
    const r = await runCachet(['open', '-i', alice, '--json'], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { status: string }).status, 'valid');
  });
});
