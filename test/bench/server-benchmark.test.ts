/**
 * `npm run bench:server` at its smallest (2 users, 1 round, 1 run of each configuration, the server
 * from source): it completes, prints every operation's row and the memory row with numbers, the
 * two-instance run was served by both instances (the round robin reached B, which resumed sessions
 * begun on A), and no request failed. No time or memory figure is asserted: a benchmark measures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OPERATIONS } from '../../bench/server-workload.js';
import { childEnv } from '../helpers/child-env.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

function runBenchmark(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/server.ts'], { cwd: REPO, env: childEnv({ HOME: process.env.HOME, ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const rate = '\\d+\\.\\d';
const ms = '\\d+';
const ratio = '\\d+\\.\\d\\dx';

test('the server benchmark runs at its smallest size and prints every row with numbers', { timeout: 300_000 }, async () => {
  const { code, stdout, stderr } = await runBenchmark({ BENCH_USERS: '2', BENCH_ROUNDS: '1', BENCH_REPEAT: '1', BENCH_FROM_SOURCE: '1' });
  assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
  for (const operation of OPERATIONS) {
    const row = new RegExp(`^${escape(operation)} +${[rate, ms, ms, rate, ms, ms, ratio, ratio, ratio].join(' +')}$`, 'm');
    assert.match(stdout, row, `the row of "${operation}"`);
  }
  const memory = /^peak RSS per instance +(\d+) MB +(\d+) MB \+ (\d+) MB +\d+\.\d\dx$/m.exec(stdout);
  assert.ok(memory, `the peak RSS row:\n${stdout}`);
  assert.ok(memory.slice(1).every((mb) => Number(mb) > 0), 'every instance has a peak RSS');
  const served = /^requests served +A (\d+) +A (\d+), B (\d+)$/m.exec(stdout);
  assert.ok(served, `the requests row:\n${stdout}`);
  assert.ok(Number(served[1]) > 0 && Number(served[2]) > 0 && Number(served[3]) > 0, `each instance served its runs: ${served[0]}`);
  assert.match(stdout, /^failures: none$/m);
});
