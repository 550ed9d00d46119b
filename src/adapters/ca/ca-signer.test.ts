import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { PrivateKeyHandle } from '../../engine/keys.js';
import { softwareKey } from '../../engine/software-key.js';
import { ecdsaDerToRaw } from './ca-signer.js';
import { makeCaCertificate } from './issue.js';
import { generateKeyPairOf } from './key-pair.js';

/** A key the CA reaches only through sign(), as it would a token key. */
function opaqueHandle(inner: PrivateKeyHandle, calls: string[]): PrivateKeyHandle {
  return {
    kind: inner.kind,
    ...(inner.curve ? { curve: inner.curve } : {}),
    ...(inner.modulusBits ? { modulusBits: inner.modulusBits } : {}),
    async sign(data, scheme, digest) {
      calls.push(`${scheme}/${digest}`);
      return inner.sign(data, scheme, digest);
    },
  };
}

describe('CA signing through a PrivateKeyHandle', () => {
  for (const type of ['ec-p256', 'ec-p384', 'rsa-2048'] as const) {
    test(`${type}: a root signed only through handle.sign() verifies`, async () => {
      const keyPair = await generateKeyPairOf(type);
      const calls: string[] = [];
      const der = await makeCaCertificate({ name: `Handle ${type}`, organization: 'Test Org', spki: keyPair.spki, validityDays: 30, selfKey: opaqueHandle(softwareKey(keyPair.privateKey), calls), settings: { httpBase: 'http://127.0.0.1:1' } });
      const certificate = new X509Certificate(der);
      assert.ok(certificate.verify(certificate.publicKey));
      assert.deepEqual(calls, [type === 'rsa-2048' ? 'rsa-pkcs1/sha256' : type === 'ec-p384' ? 'ecdsa/sha384' : 'ecdsa/sha256']);
    });
  }

  test('ECDSA DER → r‖s pads short integers and drops sign octets', () => {
    // SEQUENCE { INTEGER 0x00ff (sign octet), INTEGER 0x01 (short) } for a 2-byte "curve"
    const der = new Uint8Array([0x30, 0x07, 0x02, 0x02, 0x00, 0xff, 0x02, 0x01, 0x01]);
    assert.deepEqual([...ecdsaDerToRaw(der, 2)], [0x00, 0xff, 0x00, 0x01]);
  });
});
