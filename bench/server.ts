/**
 * `npm run bench:server`: `cachet server` under the load of simulated web mail users, ONE instance
 * beside TWO instances on the same state directory, in the same run.
 *
 * BENCH_USERS users (default 20) at once, each doing BENCH_ROUNDS rounds (default 3) of: sign in, list
 * the INBOX, open a signed and encrypted message (decrypted and verified on the server), send a signed
 * and encrypted message to a colleague — each operation a phase of all users at once, so that each
 * has a rate of its own (bench/server-workload.ts) — over HTTPS against instances that are child
 * processes of their own (bench/server-process.ts), so each one's peak RSS is its own. With two
 * instances, a trivial round robin in the client sends each request to the next instance, so sessions
 * are resumed across instances (the ground of the later database scale-out). The two configurations
 * alternate (one, two, one, two …, BENCH_REPEAT times, default 3) and the median of each figure is
 * printed — for each operation its throughput, p50 and p95 latency, then each instance's peak RSS and
 * the requests each served — with the two/one ratios. Why alternate: on these shared VMs a single run
 * swings with the neighbours' load; alternating exposes both configurations to the same moments.
 *
 * The server runs compiled (`npm run build` first, as `npm run bench` builds); BENCH_FROM_SOURCE=1 runs
 * it through tsx instead, with no build but the front end's if missing, quicker to start but with
 * tsx's memory in the RSS. Nothing here is a test: no time is asserted anywhere.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoundRobin } from './server-client.js';
import { provisionUsers, setUpOrganisation, type Colleagues } from './server-organisation.js';
import { cachetCommand, startServerInstance, type ServerInstance } from './server-process.js';
import { clearDelivered, OPERATIONS, runWorkload, type Operation, type RunResult } from './server-workload.js';

/** A size from the environment: a whole number of at least `min`, else the run stops before it starts. */
function sizeFromEnv(name: string, fallback: number, min: number): number {
  const text = process.env[name];
  const value = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${text}: a whole number of at least ${min} is needed`);
  return value;
}

/** Simulated users at once; each writes to the next, so at least two. */
const USERS = sizeFromEnv('BENCH_USERS', 20, 2);
const ROUNDS = sizeFromEnv('BENCH_ROUNDS', 3, 1);
/** Runs per configuration (BENCH_REPEAT), of which the median is printed. */
const REPEATS = sizeFromEnv('BENCH_REPEAT', 3, 1);
const FROM_SOURCE = process.env.BENCH_FROM_SOURCE === '1';

type Configuration = 'one' | 'two';

interface Measured {
  run: RunResult;
  /** The instances that served the run, by name. */
  names: string[];
  /** Peak RSS of each instance that served the run, in MB. */
  peakRssMb: number[];
  /** Requests each instance that served the run logged during it. */
  served: number[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The nearest-rank percentile (p in 0…1). */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

interface Figures {
  opsPerSecond: number;
  p50: number;
  p95: number;
}

/** The median over the runs of each figure of one operation; undefined when no run completed one. */
function figures(runs: Measured[], operation: Operation): Figures | undefined {
  const completed = runs.filter((m) => m.run.latenciesMs[operation].length > 0);
  if (completed.length === 0) return undefined;
  return {
    opsPerSecond: median(completed.map((m) => m.run.latenciesMs[operation].length / m.run.seconds[operation])),
    p50: median(completed.map((m) => percentile(m.run.latenciesMs[operation], 0.5))),
    p95: median(completed.map((m) => percentile(m.run.latenciesMs[operation], 0.95))),
  };
}

function pad(value: string, width: number): string {
  return value.length >= width ? value : value + ' '.repeat(width - value.length);
}

function loadLine(): string {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} CPUs`;
}

async function measure(instances: ServerInstance[], users: Colleagues[]): Promise<Measured> {
  const balancer = new RoundRobin(instances);
  for (const { user } of users) user.balancer = balancer;
  const resettable = instances.map((i) => i.resetPeakRss());
  if (resettable.includes(false)) console.log('  (the kernel refused to reset the peak RSS: it counts from the instance\'s start)');
  const servedBefore = instances.map((i) => i.requestsServed());
  const run = await runWorkload(users, ROUNDS);
  const measured = { run, names: instances.map((i) => i.name), peakRssMb: instances.map((i) => i.peakRssMb()), served: instances.map((i, n) => i.requestsServed() - servedBefore[n]!) };
  await clearDelivered(users);
  return measured;
}

function report(runs: Record<Configuration, Measured[]>): void {
  const number = (value: number | undefined, digits: number) => (value === undefined ? 'FAILED' : value.toFixed(digits));
  const ratio = (two: number | undefined, one: number | undefined) => (two === undefined || one === undefined ? '-' : `${(two / one).toFixed(2)}x`);
  console.log(
    [pad('operation', 24), pad('one: ops/s', 11), pad('p50 ms', 8), pad('p95 ms', 8), pad('two: ops/s', 11), pad('p50 ms', 8), pad('p95 ms', 8), pad('two/one: ops/s', 15), pad('p50', 7), 'p95'].join(' '),
  );
  for (const operation of OPERATIONS) {
    const one = figures(runs.one, operation);
    const two = figures(runs.two, operation);
    console.log(
      [
        pad(operation, 24),
        pad(number(one?.opsPerSecond, 1), 11),
        pad(number(one?.p50, 0), 8),
        pad(number(one?.p95, 0), 8),
        pad(number(two?.opsPerSecond, 1), 11),
        pad(number(two?.p50, 0), 8),
        pad(number(two?.p95, 0), 8),
        pad(ratio(two?.opsPerSecond, one?.opsPerSecond), 15),
        pad(ratio(two?.p50, one?.p50), 7),
        ratio(two?.p95, one?.p95),
      ].join(' '),
    );
  }
  // The highest peak of any run, as `npm run bench` prints it: memory is bounded by its worst moment.
  const peak = (measured: Measured[], instance: number) => Math.max(...measured.map((m) => m.peakRssMb[instance]!));
  const onePeak = peak(runs.one, 0);
  const twoPeaks = [peak(runs.two, 0), peak(runs.two, 1)];
  console.log(
    [pad('peak RSS per instance', 24), pad(`${onePeak.toFixed(0)} MB`, 29), pad(twoPeaks.map((p) => `${p.toFixed(0)} MB`).join(' + '), 29), `${(Math.max(...twoPeaks) / onePeak).toFixed(2)}x`].join(' '),
  );
  const served = (measured: Measured[]) => measured[0]!.names.map((name, i) => `${name} ${median(measured.map((m) => m.served[i]!))}`).join(', ');
  console.log([pad('requests served', 24), pad(served(runs.one), 29), served(runs.two)].join(' '));
  const failures = [...runs.one, ...runs.two].flatMap((m) => m.run.failures);
  console.log(failures.length === 0 ? 'failures: none' : `failures: ${failures.length}, the first: ${failures.slice(0, 3).join(' | ')}`);
  if (failures.length > 0) process.exitCode = 1;
}

async function main(): Promise<void> {
  // `cachet server` serves the built front end beside the API, and will not start without it.
  if (!FROM_SOURCE) execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
  else if (!existsSync('dist/web-ui/index.html')) execFileSync('npx', ['vite', 'build', '--config', 'web-ui/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  const work = mkdtempSync(join(tmpdir(), 'cachet-bench-server-'));
  const instances: ServerInstance[] = [];
  let users: Colleagues[] = [];
  try {
    const cachet = cachetCommand(FROM_SOURCE);
    const org = await setUpOrganisation(work, cachet, USERS);
    instances.push(...(await Promise.all(['A', 'B'].map((name) => startServerInstance(name, cachet, org.configFile, org.env)))));
    // The set-up goes through both instances: each has served every user once before anything is measured.
    users = await provisionUsers(org, new RoundRobin(instances));
    console.log(`cachet server (${FROM_SOURCE ? 'from source, through tsx' : 'compiled'}): ${USERS} users at once, ${ROUNDS} round(s) each per run, each operation a phase of all users at once; one instance beside two on the same state directory (round robin per request), median of ${REPEATS} alternating runs`);
    console.log('HTTPS on 127.0.0.1, local sign-in, the embedded Maildir, RSA-2048 certificates of the demo CA, revocation not checked (no responder runs here)');
    console.log(`${loadLine()}\n`);
    const runs: Record<Configuration, Measured[]> = { one: [], two: [] };
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      runs.one.push(await measure(instances.slice(0, 1), users));
      runs.two.push(await measure(instances, users));
    }
    report(runs);
    console.log('(two/one: ops/s above 1 and latency or RSS below 1 favour two instances)');
    console.log(loadLine());
  } finally {
    for (const { user } of users) user.close();
    await Promise.all(instances.map((i) => i.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
