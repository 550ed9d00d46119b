/** `cachet --help`: every command of the table, each with its one-line summary; exit 0 (none given: 2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { runCachet } from '../helpers/cli.js';

test('the overview names every command with its summary', async () => {
  const help = await runCachet(['--help']);
  assert.equal(help.status, 0);
  for (const name of Object.keys(COMMANDS)) {
    const line = help.stdout.split('\n').find((l) => l.trimStart().startsWith(`${name}  `));
    assert.ok(line, `${name} is listed`);
    assert.doesNotMatch(line, /not available/, `${name} has a module`);
    assert.ok(line.trim().length > name.length + 10, `${name} has a summary`);
  }
  assert.equal((await runCachet([])).status, 2);
});
