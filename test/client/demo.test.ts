import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../src/client/demo.js';

test('cachet demo: the reference flow ends with a valid, trusted, encrypted mail', async () => {
  const lines: string[] = [];
  const result = await runDemo((line) => lines.push(line));
  assert.equal(result.status, 'valid');
  assert.equal(result.encrypted, true);
  const output = lines.join('\n');
  assert.match(output, /imported alice-sign\.pfx: recognised as a signing-only certificate/);
  assert.match(output, /imported bob-enc\.pfx: recognised as an encryption-only certificate/);
  assert.match(output, /status VALID, encrypted \(AES-256-GCM\), signed by alice@example\.org \(signature valid, trusted\)/);
  assert.match(output, /the figures are final/);
});
