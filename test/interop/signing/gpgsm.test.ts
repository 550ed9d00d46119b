/** GnuPG `gpgsm` both ways, with a private GNUPGHOME (CA trusted via trustlist.txt, no CRL checks). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { P12_PASSWORD, pkiFile } from '../../helpers/pki.js';
import { toByteStream } from '../../../src/engine/stream-types.js';
import { verifyCms } from '../../../src/engine/smime/verify.js';
import { cachetSign, ENTITY, errors, run, runOk, signer, splitSigned, tempDir } from './support.js';

let dir: ReturnType<typeof tempDir>;
let env: NodeJS.ProcessEnv;
before(() => {
  dir = tempDir('cachet-gpgsm-sign-');
  const home = join(dir.path, 'gnupg');
  runOk('mkdir', ['-m', '700', home]);
  env = { ...process.env, GNUPGHOME: home };
  writeFileSync(join(home, 'gpgsm.conf'), 'disable-crl-checks\ndisable-dirmngr\nno-common-certs-import\n');
  writeFileSync(join(home, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');
  runOk('gpgsm', ['--batch', '--import', pkiFile('ca.pem')], { env });
  const fingerprint = runOk('openssl', ['x509', '-in', pkiFile('ca.pem'), '-noout', '-fingerprint', '-sha1']).toString().trim().split('=')[1];
  writeFileSync(join(home, 'trustlist.txt'), `${fingerprint} S relax\n`);
  runOk('gpgsm', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--import', pkiFile('alice-legacy.p12')], { env, input: `${P12_PASSWORD}\n` });
  writeFileSync(join(dir.path, 'entity.txt'), ENTITY);
});
after(() => {
  if (env) run('gpgconf', ['--kill', 'gpg-agent'], { env });
  dir?.remove();
});

describe('gpgsm', () => {
  test("verifies Cachet's detached RSA signature, and rejects tampered content", async () => {
    for (const s of [signer('alice'), signer('alice', { rsaScheme: 'rsa-pss' })]) {
      const { content, signature } = splitSigned(await cachetSign(ENTITY, { signers: [s], mode: 'detached' }));
      writeFileSync(join(dir.path, 'sig.der'), signature);
      writeFileSync(join(dir.path, 'content.bin'), content);
      const good = run('gpgsm', ['--batch', '--status-fd', '1', '--verify', join(dir.path, 'sig.der'), join(dir.path, 'content.bin')], { env });
      assert.match(good.stdout.toString(), /GOODSIG/, good.stderr);
      writeFileSync(join(dir.path, 'content.bin'), content.toString('latin1').replace('Hello', 'Jello'), 'latin1');
      const bad = run('gpgsm', ['--batch', '--status-fd', '1', '--verify', join(dir.path, 'sig.der'), join(dir.path, 'content.bin')], { env });
      assert.doesNotMatch(bad.stdout.toString(), /GOODSIG/);
      assert.notEqual(bad.status, 0);
    }
  });

  test('gpgsm-made detached and opaque signatures verify in Cachet', async () => {
    const sig = join(dir.path, 'g-sig.der');
    runOk('gpgsm', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '-u', 'alice@example.com', '--detach-sign', '-o', sig, join(dir.path, 'entity.txt')], { env, input: `${P12_PASSWORD}\n` });
    const detached = await verifyCms(toByteStream(readFileSync(sig)), { content: toByteStream(ENTITY) });
    assert.equal(detached.valid, true, errors(detached));
    assert.deepEqual(detached.signers[0]!.email, ['alice@example.com']);

    const opaqueFile = join(dir.path, 'g-opaque.der');
    runOk('gpgsm', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '-u', 'alice@example.com', '--sign', '-o', opaqueFile, join(dir.path, 'entity.txt')], { env, input: `${P12_PASSWORD}\n` });
    const parts: Buffer[] = [];
    const opaque = await verifyCms(toByteStream(readFileSync(opaqueFile)), {}, { write: (c) => void parts.push(Buffer.from(c)) });
    assert.equal(opaque.valid, true, errors(opaque));
    assert.deepEqual(Buffer.concat(parts), ENTITY);
  });
});
