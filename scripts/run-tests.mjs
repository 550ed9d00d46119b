#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's own test runner (node:test), through tsx.
// Node 20's `--test` does not expand globs itself, so the file list is built here.
// Usage: node scripts/run-tests.mjs [filter-substring...]
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = [...collect('src', []), ...collect('test', [])]
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// The browser tests serve the built front end: build it once here, not in each test file, where
// parallel builds would rewrite dist/web-ui under a test that is serving it.
if (files.some((f) => f.startsWith(join('test', 'web')) || f.startsWith(join('test', 'server')))) {
  const build = spawnSync('npx', ['vite', 'build', '--config', 'web-ui/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const concurrency = process.env.CACHET_TEST_CONCURRENCY ?? '2';
// A file that hangs (a server that never answers, a wait for an event that never comes) fails
// with its name after this long, instead of holding the run until CI's 90 minutes are up: Node 20
// applies --test-timeout to each file's run as a whole. The slowest files take a few minutes on a
// loaded machine (test/mail/large-send.test.ts allows its two sends 9); tests keep their own, shorter limits.
const fileTimeoutMs = process.env.CACHET_TEST_FILE_TIMEOUT_MS ?? String(20 * 60_000);
// Every run gets a private state directory (the vault's rollback witnesses live there,
// src/adapters/keys/file-credential-store.ts rollbackWitnessDir): tests write none into the
// developer's ~/.local/state/cachet, and none of an earlier run's witnesses are seen.
const stateDir = mkdtempSync(join(tmpdir(), 'cachet-test-state-'));
let result;
try {
  result = spawnSync(
    process.execPath,
    // --test-force-exit: a file whose tests are all done ends there, even if something it started
    // (a server a failed `before` never handed to `after`) still holds the event loop open.
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${fileTimeoutMs}`, '--test-force-exit', '--test-reporter=spec', ...files],
    { stdio: 'inherit', env: { ...process.env, CACHET_STATE_DIR: stateDir } },
  );
} finally {
  rmSync(stateDir, { recursive: true, force: true });
}
process.exit(result?.status ?? 1);
