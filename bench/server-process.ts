/**
 * `cachet server` as a child process of the server benchmark, one per instance, so that each
 * instance's memory is its own: the compiled command (`bin/cachet`, after the build) or, with
 * BENCH_FROM_SOURCE=1, the source through tsx (quicker to start, but tsx's own memory is counted).
 * The instance's JSON log lines are read as they come: the first `listening` line gives its URL, and
 * the `request` lines count what it served, which shows the round robin reaching every instance.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

/** How to run `cachet ARGS` as a process: [command, leading arguments]. */
export type CachetCommand = [string, string[]];

export function cachetCommand(fromSource: boolean): CachetCommand {
  return fromSource ? [process.execPath, ['--import', 'tsx', 'src/entry/dev.ts']] : [process.execPath, ['bin/cachet']];
}

/** Runs `cachet ARGS` to its end (the set-up's `server --init-key`); a failure carries its output. */
export async function runCachetCommand([command, leading]: CachetCommand, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  await promisify(execFile)(command, [...leading, ...args], { env });
}

export interface ServerInstance {
  name: string;
  url: string;
  /** Requests this instance logged since it started. */
  requestsServed(): number;
  /**
   * Starts a new peak: the kernel's high-water mark of resident memory is set back to what is
   * resident now. False when the kernel refused (the peak then counts from the instance's start).
   */
  resetPeakRss(): boolean;
  /** The peak resident memory since the last reset, in MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

function statusField(name: string, pid: number, field: string): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (error) {
    throw new Error(`cachet server (${name}) is no longer running: its peak RSS cannot be read`, { cause: error });
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

export async function startServerInstance(name: string, command: CachetCommand, configFile: string, env: NodeJS.ProcessEnv): Promise<ServerInstance> {
  const [executable, leading] = command;
  const child: ChildProcess = spawn(executable, [...leading, 'server', '--config', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let requests = 0;
  let stderr = '';
  let pending = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (line['event'] === 'request') requests++;
        else if (line['event'] === 'listening') resolve(String(line['url']));
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    void exited.then((code) => reject(new Error(`cachet server (${name}) exited (${code}) before listening: ${stderr.trim()}`)));
  });
  const pid = child.pid!;
  return {
    name,
    url,
    requestsServed: () => requests,
    resetPeakRss() {
      try {
        // "5" resets VmHWM (Documentation/filesystems/proc.rst, clear_refs): each run's peak is its own.
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    },
    peakRssMb: () => statusField(name, pid, 'VmHWM'),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
