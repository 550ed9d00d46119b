/**
 * RSA-OAEP with an MGF1 digest of its own on a real PKCS#11 token (SoftHSM2): CK_RSA_PKCS_OAEP_PARAMS
 * carries the MGF separately, and Cachet passes it through. SoftHSM 2.6 does OAEP with SHA-1 and
 * MGF1-SHA-1 only, so a message with SHA-1 and MGF1-SHA-256 is refused with a clear typed error that
 * names both digests — which also shows the MGF reached the token (with MGF1-SHA-1 it would accept the
 * operation).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSoftHsm, type SoftHsm } from '../helpers/softhsm.js';
import { pkiFile } from '../helpers/pki.js';
import { Pkcs11Token } from '../../src/adapters/keys/pkcs11/token.js';
import { decryptEnvelopedEntity } from '../../src/engine/smime/decrypt.js';
import { readMimeEntity } from '../../src/engine/mime/entity-reader.js';
import { toByteStream } from '../../src/engine/stream-types.js';
import { isCachetError } from '../../src/errors.js';

let hsm: SoftHsm | undefined;
let token: Pkcs11Token | undefined;

before(() => {
  hsm = createSoftHsm([{ name: 'alice', id: '01' }]);
  token = Pkcs11Token.open({ module: hsm.module, tokenLabel: hsm.label, pin: hsm.pin });
});
after(() => {
  token?.close();
  hsm?.remove();
});

const MESSAGE = 'Content-Type: text/plain\r\n\r\nOAEP with a separate MGF1 digest.\r\n';

function encrypt(md: string, mgf1: string): Buffer {
  return execFileSync('openssl', ['cms', '-encrypt', '-aes-256-cbc', '-recip', pkiFile('alice.pem'), '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', `rsa_oaep_md:${md}`, '-keyopt', `rsa_mgf1_md:${mgf1}`], {
    input: MESSAGE,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

test('SHA-1 with MGF1-SHA-256, which SoftHSM lacks, is a clear typed error naming both digests; the session stays usable', async () => {
  const c = token!.credentials().find((x) => x.label === 'alice');
  assert.ok(c);
  const decryptors = [{ certificate: c.certificate, key: token!.privateKey(c) }];
  const unsupported = (e: unknown) =>
    isCachetError(e, 'ERR_UNSUPPORTED_ALGORITHM') && /this token cannot do RSA-OAEP with SHA-1 and MGF1-SHA-256/.test((e as Error).message) && (e as { details: { mgf1Hash?: string } }).details.mgf1Hash === 'sha256';
  await assert.rejects(decryptEnvelopedEntity(await readMimeEntity(toByteStream(encrypt('sha1', 'sha256'))), { write: () => undefined }, { decryptors }), unsupported);
  await assert.rejects(token!.privateKey(c).decryptKeyTransport!(new Uint8Array(256), { scheme: 'rsa-oaep', hash: 'sha1', mgf1Hash: 'sha256' }), unsupported);
  // SHA-1 with MGF1-SHA-1 (named explicitly) still decrypts through the token afterwards.
  const parts: Buffer[] = [];
  await decryptEnvelopedEntity(await readMimeEntity(toByteStream(encrypt('sha1', 'sha1'))), { write: (chunk) => void parts.push(Buffer.from(chunk)) }, { decryptors });
  assert.equal(Buffer.concat(parts).toString(), MESSAGE);
});
