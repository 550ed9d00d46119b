import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rc2CbcDecrypt, rc2CbcEncrypt, rc2EncryptEcbBlock } from './rc2.js';

// RFC 2268 §5 test vectors: key, effective key bits, plaintext, ciphertext.
const VECTORS: Array<[string, number, string, string]> = [
  ['0000000000000000', 63, '0000000000000000', 'ebb773f993278eff'],
  ['ffffffffffffffff', 64, 'ffffffffffffffff', '278b27e42e2f0d49'],
  ['3000000000000000', 64, '1000000000000001', '30649edf9be7d2c2'],
  ['88', 64, '0000000000000000', '61a8a244adacccf0'],
  ['88bca90e90875a', 64, '0000000000000000', '6ccf4308974c267f'],
  ['88bca90e90875a7f0f79c384627bafb2', 64, '0000000000000000', '1a807d272bbe5db1'],
  ['88bca90e90875a7f0f79c384627bafb2', 128, '0000000000000000', '2269552ab0f85ca6'],
];

for (const [key, bits, plain, cipher] of VECTORS) {
  test(`RFC 2268 vector: ${bits}-bit effective key ${key}`, () => {
    assert.equal(rc2EncryptEcbBlock(Buffer.from(key, 'hex'), bits, Buffer.from(plain, 'hex')).toString('hex'), cipher);
  });
}

test('CBC round trip, and a wrong key fails the padding check', () => {
  const key = Buffer.from('0102030405', 'hex');
  const iv = Buffer.from('0001020304050607', 'hex');
  const message = Buffer.from('PKCS#12 certificate bags are RC2-40 in Windows exports');
  const encrypted = rc2CbcEncrypt(key, 40, iv, message);
  assert.deepEqual(rc2CbcDecrypt(key, 40, iv, encrypted), message);
  const wrong = rc2CbcDecrypt(Buffer.from('0102030406', 'hex'), 40, iv, encrypted);
  assert.ok(wrong === undefined || !wrong.equals(message));
});
