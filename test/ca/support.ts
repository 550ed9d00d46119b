/**
 * Shared by the CA tests: a private CACHET_HOME per test file, the CLI run in-process with captured
 * streams, a CLI subprocess for long-running commands (the OCSP responder), and tool runners.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/net.js';
import { runCachet } from '../helpers/cli.js';
import { OUTCOME_DEADLINE_MS } from '../helpers/wait.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CA_PASSPHRASE = 'correct horse battery';
export const PFX_PASSWORD = 'pfx-password-1';

export interface CaWorkspace {
  dir: string;
  env: NodeJS.ProcessEnv;
  passphraseFile: string;
  passwordFile: string;
  path(name: string): string;
  remove(): void;
}

export function caWorkspace(prefix: string): CaWorkspace {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const passphraseFile = join(dir, 'ca-passphrase');
  const passwordFile = join(dir, 'pfx-password');
  writeFileSync(passphraseFile, `${CA_PASSPHRASE}\n`);
  writeFileSync(passwordFile, `${PFX_PASSWORD}\n`);
  return {
    dir,
    env: { CACHET_HOME: join(dir, 'home') },
    passphraseFile,
    passwordFile,
    path: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `cachet ARGS` in-process; stdout/stderr captured (the shared runner of test/helpers/cli.ts). */
export async function cachet(args: string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): Promise<CliResult> {
  const { status, stdout, stderr } = await runCachet(args, { env, cwd });
  return { status, stdout, stderr };
}

export function run(command: string, args: string[], input?: string | Buffer): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', input, timeout: 30_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function openssl(args: string[], input?: string | Buffer): { status: number | null; stdout: string; stderr: string } {
  return run('openssl', args, input);
}


/** Starts `cachet ARGS` as a process (through tsx) and waits for a stdout line matching `ready`. */
export async function startCachet(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; output: () => string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/entry/dev.ts'), ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  child.stderr!.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      // A first start through tsx compiles the CLI: seconds on a loaded machine, so the deadline is long.
      const timer = setTimeout(() => reject(new Error(`cachet ${args.join(' ')} did not start: ${output}`)), OUTCOME_DEADLINE_MS);
      const check = (): void => {
        if (ready.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`cachet ${args.join(' ')} exited with ${code}: ${output}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, output: () => output, stop };
}

export { freePort };
