/**
 * Signed data as older gpgsm wrote it: GnuPG's own tests/cms data (test/vectors/gnupg/, see the
 * README there). Its signed attributes hold signingTime and messageDigest but no contentType, which
 * RFC 5652 §5.3 requires: gpgsm (checked here at test time) and NSS verify them, OpenSSL 3 and
 * BouncyCastle refuse them. That is the one place where Cachet and gpgsm differed; both digest the
 * SignedAttributes exactly as received. Cachet now accepts them for id-data content, with a warning,
 * and refuses a missing contentType for any other content type.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyCms } from '../../src/engine/smime/verify.js';
import { openMessage } from '../../src/engine/smime/open.js';
import { CONTENT_TYPE_UNSIGNED } from '../../src/engine/smime/signed-data-verifier.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';
import { runTool, runToolOk } from '../helpers/oracles.js';

const dir = fileURLToPath(new URL('./gnupg/', import.meta.url));
const file = (name: string) => readFileSync(dir + name);
/** The DER of one of GnuPG's "-----BEGIN SIGNED MESSAGE-----" files. */
const der = (name: string) => Buffer.from(file(name).toString('latin1').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

let work = '';
let gnupg: NodeJS.ProcessEnv;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'cachet-gnupg-cms-'));
  const home = join(work, 'gnupg');
  mkdirSync(home, { mode: 0o700 });
  writeFileSync(join(home, 'gpgsm.conf'), 'disable-crl-checks\ndisable-dirmngr\nno-common-certs-import\n');
  gnupg = { ...process.env, GNUPGHOME: home };
  runToolOk('gpgsm', ['--batch', '--import', dir + 'cert_g10code_test1.der'], { env: gnupg });
});
after(() => {
  if (gnupg) runTool('gpgconf', ['--kill', 'all'], { env: gnupg });
  if (work) rmSync(work, { recursive: true, force: true });
});

/** gpgsm's verdict on a signature (its certificate expired in 2002: GOODSIG is the signature alone). */
function gpgsmVerdict(signature: Buffer, content?: string): string {
  writeFileSync(join(work, 'sig.der'), signature);
  const args = ['--batch', '--status-fd', '1', '--verify', join(work, 'sig.der'), ...(content ? [dir + content] : [])];
  const status = runTool('gpgsm', args, { env: gnupg }).stdout.toString();
  return /\[GNUPG:\] (GOODSIG|BADSIG|ERRSIG)/.exec(status)?.[1] ?? 'none';
}

describe('GnuPG tests/cms signatures (no contentType in the signed attributes)', () => {
  for (const [name, content] of [['text-1.osig.pem', 'text-1.txt'], ['text-2.osig.pem', 'text-2.txt']] as const) {
    test(`${name}: gpgsm says GOODSIG; Cachet verifies it, warns that contentType is missing, and gives the content`, async () => {
      assert.equal(gpgsmVerdict(der(name)), 'GOODSIG');
      const out: Buffer[] = [];
      const report = await verifyCms(toByteStream(der(name)), {}, { write: (c) => void out.push(Buffer.from(c)) });
      assert.equal(report.valid, true, JSON.stringify(report.signers.map((s) => s.error)));
      assert.equal(report.signers[0]!.subject, 'CN=test cert 1,OU=Aegypten Project,O=g10 Code GmbH,L=Düsseldorf,C=DE');
      assert.equal(report.signers[0]!.weakAlgorithm, true, 'SHA-1');
      assert.deepEqual(report.signers[0]!.warnings, [CONTENT_TYPE_UNSIGNED]);
      assert.deepEqual(Buffer.concat(out), file(content));
    });
  }

  test('text-1.dsig.pem (detached): valid over text-1.txt and not over text-2.txt, as gpgsm says', async () => {
    assert.equal(gpgsmVerdict(der('text-1.dsig.pem'), 'text-1.txt'), 'GOODSIG');
    assert.equal(gpgsmVerdict(der('text-1.dsig.pem'), 'text-2.txt'), 'BADSIG');
    const good = await verifyCms(toByteStream(der('text-1.dsig.pem')), { content: toByteStream(file('text-1.txt')) });
    assert.equal(good.valid, true);
    assert.deepEqual(good.signers[0]!.warnings, [CONTENT_TYPE_UNSIGNED]);
    const bad = await verifyCms(toByteStream(der('text-1.dsig.pem')), { content: toByteStream(file('text-2.txt')) });
    assert.equal(bad.valid, false);
    assert.equal(bad.signers[0]!.error?.code, 'ERR_DIGEST_MISMATCH');
  });

  test('without contentType, a content type other than id-data is refused: the signature would not bind it', async () => {
    const signature = der('text-2.osig.pem');
    const idData = Buffer.from('06092a864886f70d010701', 'hex');
    const at = signature.indexOf(idData, 30); // the eContentType (the first OID is the outer signedData)
    const relabelled = Buffer.from(signature);
    relabelled[at + idData.length - 1] = 0x05; // id-digestedData: the same bytes, read as another type
    const report = await verifyCms(toByteStream(relabelled), {}, { write: () => undefined });
    assert.equal(report.valid, false);
    assert.equal(report.signers[0]!.error?.code, 'ERR_CMS_MALFORMED');
    assert.match(report.signers[0]!.error!.message, /lack contentType, which must bind/);
  });

  test('opened as S/MIME: the content has no MIME header and is shown as plain text, the warning in the report', async () => {
    const message = Buffer.concat([
      Buffer.from('From: test@example.com\r\nSubject: old gpgsm\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n'),
      Buffer.from(`${der('text-1.osig.pem').toString('base64').replace(/(.{76})/g, '$1\r\n')}\r\n`),
    ]);
    const opened = await openMessage(toByteStream(message), { decryptors: [] });
    try {
      assert.equal(opened.report.valid, true);
      assert.ok(opened.report.warnings.some((w) => w.includes('carries no MIME header')));
      assert.ok(opened.report.warnings.some((w) => w.includes(CONTENT_TYPE_UNSIGNED)));
      // The first line ("High Priest:\tArmaments…") is not a header field: it stays in the body,
      // released after an empty header (one blank line).
      assert.deepEqual(await collectBytes(opened.content), Buffer.concat([Buffer.from('\r\n'), file('text-1.txt')]));
    } finally {
      await opened.dispose();
    }
  });
});
