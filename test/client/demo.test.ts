import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../src/use-cases/demo.js';

test('cachet demo: the reference flow ends with a valid, trusted, encrypted mail', async () => {
  const lines: string[] = [];
  const result = await runDemo((line) => lines.push(line));
  assert.equal(result.status, 'valid');
  assert.equal(result.encrypted, true);
  const output = lines.join('\n');
  assert.match(output, /alice-sign\.pfx: a signing-only certificate .* imported automatically as your signing certificate/);
  assert.match(output, /bob-enc\.pfx: an encryption-only certificate .* imported automatically as your encryption certificate/);
  assert.match(output, /status VALID, encrypted \(AES-256-GCM\), signed by alice@example\.org \(signature valid, trusted\)/);
  assert.match(output, /the figures are final/);
});
