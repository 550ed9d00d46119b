import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseAlgorithms, recipientCipher } from './algorithms.js';

test('AES-GCM only when every recipient announced it', () => {
  const all = chooseAlgorithms([{ address: 'a@x', capabilities: ['aes-256-gcm', 'rsaes-oaep'] }, { address: 'b@x', capabilities: ['2.16.840.1.101.3.4.1.46'] }]);
  assert.equal(all.contentEncryption, 'aes-256-gcm');
  assert.equal(all.contentType, 'authEnvelopedData');
  assert.deepEqual(all.keyTransport, { 'a@x': 'rsa-oaep', 'b@x': 'rsa-pkcs1' });
  const mixed = chooseAlgorithms([{ address: 'a@x', capabilities: ['aes-256-gcm'] }, { address: 'b@x', capabilities: ['aes-256-cbc'] }]);
  assert.equal(mixed.contentEncryption, 'aes-256-cbc');
  assert.equal(mixed.contentType, 'envelopedData');
});

test('an unknown recipient gets the interoperable default', () => {
  const choice = chooseAlgorithms([{ address: 'a@x', capabilities: ['aes-256-gcm', 'rsaes-oaep'] }, { address: 'new@x' }]);
  assert.equal(choice.contentEncryption, 'aes-256-cbc');
  assert.equal(choice.keyTransport['new@x'], 'rsa-pkcs1');
  assert.equal(choice.keyTransport['a@x'], 'rsa-oaep');
  assert.match(choice.notes.join('\n'), /new@x: capabilities unknown/);
  assert.equal(chooseAlgorithms([]).contentEncryption, 'aes-256-cbc');
});

test('GCM is the one every recipient announced: AES-128-GCM when one of them lists only that', () => {
  const choice = chooseAlgorithms([{ address: 'a@x', capabilities: ['aes-256-gcm', 'aes-128-gcm'] }, { address: 'b@x', capabilities: ['aes-128-gcm', 'aes-256-cbc'] }]);
  assert.equal(choice.contentEncryption, 'aes-128-gcm');
  assert.equal(choice.contentType, 'authEnvelopedData');
  assert.deepEqual(choice.recipients.map((r) => r.cipher), ['aes-256-gcm', 'aes-128-gcm']);
});

test('what mutt, Apple Mail and Thunderbird ESR announce (CBC and 3DES, no GCM) gets AES-256-CBC, said per recipient', () => {
  const thunderbird = { address: 't@x', capabilities: ['aes-256-cbc', 'aes-128-cbc', 'des-ede3-cbc', 'rsa'] };
  const [only] = chooseAlgorithms([thunderbird]).recipients;
  assert.equal(only?.cipher, 'aes-256-cbc');
  assert.match(only?.reason ?? '', /did not announce AES-GCM/);
  assert.match(recipientCipher({ address: 'n@x' }).reason, /capabilities unknown/);
});

test("the policy's allowedCiphers bounds the choice both ways", () => {
  const gcmReader = [{ address: 'a@x', capabilities: ['aes-256-gcm'] }];
  assert.equal(chooseAlgorithms(gcmReader, ['aes-256-cbc', 'aes-128-cbc']).contentEncryption, 'aes-256-cbc');
  assert.equal(chooseAlgorithms(gcmReader, ['aes-128-cbc']).contentEncryption, 'aes-128-cbc');
  const forced = chooseAlgorithms([{ address: 'old@x', capabilities: ['aes-256-cbc'] }], ['aes-256-gcm']);
  assert.equal(forced.contentEncryption, 'aes-256-gcm');
  assert.match(forced.notes.join('\n'), /allows only AES-GCM, which old@x did not announce/);
});
