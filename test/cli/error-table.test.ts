/**
 * The error table (src/errors.ts) is the one source of exit statuses and HTTP statuses: the
 * CLI's help and the README print its legend, every status a command's help names is one it defines,
 * the web API and the vault service answer with its HTTP statuses, and a bug exits 70.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Hono } from 'hono';
import { ERROR_TABLE, EXIT_STATUSES, exitStatusFor, exitStatusLegend, httpStatusFor, type CachetErrorCode } from '../../src/errors.js';
import { CACHET_COMMANDS } from '../../src/entry/cachet.js';
import type { CliCommand } from '../../src/front-ends/cli/context.js';
import { reportError } from '../../src/front-ends/cli/run-cli.js';
import { errorJson } from '../../src/front-ends/web/error-json.js';
import { REPO } from '../ca/support.js';
import { runCachet } from '../helpers/cli.js';

const flat = (text: string): string => text.replace(/\s+/g, ' ');

test('cachet --help prints the legend of the table, every status it defines', async () => {
  const help = await runCachet(['--help']);
  assert.equal(help.status, 0);
  assert.ok(flat(help.stdout).includes(`Exit statuses: ${exitStatusLegend()}`), help.stdout);
});

test("the README's exit statuses are the table's legend", () => {
  assert.ok(flat(readFileSync(join(REPO, 'README.md'), 'utf8')).includes(exitStatusLegend()), 'README.md: copy exitStatusLegend() into the paragraph on --json and exit statuses');
});

test("every exit status a command's help names is one the table defines, with a code that has it", async () => {
  const used = new Set<number>(Object.values(ERROR_TABLE).map((row) => row.exit));
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(CACHET_COMMANDS)) {
    const { default: command } = (await import(new URL(entry.module, pathToFileURL(join(REPO, 'src/front-ends/cli/commands/'))).href)) as { default: CliCommand };
    const section = /Exit status(?:es)?:?([\s\S]*)$/.exec(command.help)?.[1] ?? '';
    for (const match of section.matchAll(/(?:^|[\s·(])(\d{1,3})\b(?=\s+[a-z])/g)) {
      const status = Number(match[1]);
      if (!(status in EXIT_STATUSES)) problems.push(`${name}: exit ${status} is not in EXIT_STATUSES`);
      else if (status !== 0 && status !== 1 && !used.has(status)) problems.push(`${name}: exit ${status} belongs to no error code`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the CLI exits with the status of the table: a bug is 70', () => {
  const written: string[] = [];
  const sink = { write: (text: string) => written.push(text) } as unknown as NodeJS.WritableStream;
  const context = { stdout: sink, stderr: sink, env: {}, cwd: '.', interactive: false, prompt: async () => '' } as unknown as Parameters<typeof reportError>[2];
  assert.equal(reportError(new TypeError('undefined is not a function'), false, context), 70);
  assert.equal(exitStatusFor('ERR_INTERNAL'), 70);
  assert.match(written.join(''), /this is a bug in Cachet/);
});

test("the web's error answers take their status from the table (its own codes too, and a locked vault is 423 everywhere)", async () => {
  const app = new Hono();
  app.get('/:code', (c) => errorJson(c, c.req.param('code') as CachetErrorCode, 'x'));
  for (const code of ['ERR_LOGIN', 'ERR_LOGIN_THROTTLED', 'ERR_CSRF', 'ERR_NOT_SIGNED_IN', 'ERR_SESSION_ENDED', 'ERR_VAULT_LOCKED', 'ERR_MAIL_NOT_FOUND', 'ERR_MAIL_UNREACHABLE'] as const) {
    const response = await app.request(`/${code}`);
    assert.equal(response.status, ERROR_TABLE[code].http, code);
    assert.deepEqual(await response.json(), { error: { code, message: 'x' } });
  }
  assert.equal(httpStatusFor('ERR_VAULT_LOCKED'), 423);
  assert.equal(httpStatusFor('ERR_LOGIN'), 401);
  assert.equal(httpStatusFor('ERR_CSRF'), 403);
});

test('a command whose package was left out (npm install --omit=optional) names the package, not a bug', () => {
  const written: string[] = [];
  const sink = { write: (text: string) => written.push(text) } as unknown as NodeJS.WritableStream;
  const context = { stdout: sink, stderr: sink, env: {}, cwd: '.', interactive: false, prompt: async () => '' } as unknown as Parameters<typeof reportError>[2];
  const missing = Object.assign(new Error("Cannot find package 'imapflow' imported from /usr/lib/node_modules/cachet/dist/mail/imap.js"), { code: 'ERR_MODULE_NOT_FOUND' });
  assert.equal(reportError(missing, false, context), exitStatusFor('ERR_NOT_IMPLEMENTED'));
  assert.match(written.join(''), /needs the package imapflow, which is not installed.*npm install imapflow/);
  assert.doesNotMatch(written.join(''), /bug/);
});
