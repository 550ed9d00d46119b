import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseAlgorithms } from './algorithms.js';

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
