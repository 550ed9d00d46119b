/** User mistakes end in one clear line and a documented exit status, never a "bug" note or a stack. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCachet } from '../helpers/cli.js';
import { CACHET_COMMANDS } from '../../src/entry/cachet.js';

test('a missing input file is a file error (exit 3), not a bug', async () => {
  const result = await runCachet(['open', '-i', '/nonexistent/message.eml', '--json']);
  assert.equal(result.status, 3);
  assert.equal(result.stderr, 'cachet: cannot open /nonexistent/message.eml: no such file\n');
  assert.equal((JSON.parse(result.stdout) as { error: { code: string } }).error.code, 'ERR_INPUT_READ');
});

test('an unknown command and an unknown option are usage errors (exit 2)', async () => {
  assert.equal((await runCachet(['frobnicate'])).status, 2);
  const option = await runCachet(['verify', '--no-such-option']);
  assert.equal(option.status, 2);
  assert.doesNotMatch(option.stderr, /bug|at .*\.ts:\d+/);
});

test('a command not in this build says so (exit 1), without a stack', async () => {
  // Every registered command has its module now: register one without a module for this test.
  CACHET_COMMANDS['vault frobnicate'] = { module: './vault-frobnicate.js', summary: 'a command without its module' };
  try {
    const result = await runCachet(['vault', 'frobnicate']);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, 'cachet: the command "vault frobnicate" is not available in this build\n');
  } finally {
    delete CACHET_COMMANDS['vault frobnicate'];
  }
});
