/**
 * `cachet --help`: every command of the table, each with its one-line summary; exit 0 (none given:
 * 2). The overview comes from the table alone, so each entry's module is checked here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CACHET_COMMANDS } from '../../src/entry/cachet.js';
import { runCachet } from '../helpers/cli.js';

test('the overview names every command with its summary', async () => {
  const help = await runCachet(['--help']);
  assert.equal(help.status, 0);
  for (const name of Object.keys(CACHET_COMMANDS)) {
    const line = help.stdout.split('\n').find((l) => l.trimStart().startsWith(`${name}  `));
    assert.ok(line, `${name} is listed`);
    assert.ok(line.trim().length > name.length + 10, `${name} has a summary`);
  }
  assert.equal((await runCachet([])).status, 2);
});

test('every command in the table has a module with its help and a run function', async () => {
  for (const [name, entry] of Object.entries(CACHET_COMMANDS)) {
    const module = (await import(new URL(entry.module.replace(/\.js$/, '.ts'), new URL('../../src/front-ends/cli/commands/', import.meta.url)).href)) as {
      default?: { help?: unknown; run?: unknown };
    };
    assert.equal(typeof module.default?.run, 'function', `${name}: ${entry.module} exports a command`);
    assert.match(String(module.default?.help), new RegExp(`usage: cachet ${name}\\b`), `${name} has its usage line`);
  }
});
