/**
 * A lock file that serialises the writers of a small shared file (read, change, write back) across
 * processes: `open(…, 'wx')` (O_CREAT|O_EXCL) succeeds for exactly one of them. Node has no flock();
 * an O_EXCL lock file is the portable way, and it works on every local file system.
 *
 * The lock records its holder (pid, a random nonce, the time). A lock left by a process that died
 * (its pid no longer exists) or older than `staleMs` is broken: renamed away atomically, so that of
 * two processes breaking it at once only one succeeds; should that one have taken a fresh lock by
 * mistake (its holder replaced the stale one in between), it is put back. A holder removes the lock
 * only while it still carries its own nonce.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CachetError } from '../../errors.js';

interface LockHolder {
  pid: number;
  nonce: string;
  time: number;
}

export interface FileLockOptions {
  /** How long to wait for another holder before giving up (ms). */
  timeoutMs?: number;
  /** A lock older than this is taken to be left behind, whatever its pid (ms). */
  staleMs?: number;
  /** Names the protected file in the error, e.g. "the list of enrolled apps". */
  what?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as LockHolder;
    return typeof parsed?.nonce === 'string' ? parsed : { pid: 0, nonce: '', time: 0 };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Unreadable or half-written (its writer died between create and write): judged by age alone.
    return { pid: 0, nonce: '', time: 0 };
  }
}

function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryCreate(path: string, holder: LockHolder): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new CachetError('ERR_OUTPUT_WRITE', `cannot create the lock file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  try {
    await handle.writeFile(JSON.stringify(holder));
  } finally {
    await handle.close();
  }
  return true;
}

/** Breaks the lock at `path` if `seen` (what we read there) is still what is there. */
async function breakStale(path: string, seen: LockHolder): Promise<void> {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else broke or released it first
  }
  const taken = await readHolder(aside);
  if (taken && taken.nonce !== seen.nonce) {
    // Between our read and our rename the stale lock was replaced by a live one: put it back, unless
    // yet another process holds the lock by now (link fails then, and that one's lock stands).
    await link(aside, path).catch(() => undefined);
  }
  await rm(aside, { force: true });
}

/**
 * Runs `fn` while holding the lock file `lockPath`.
 * @throws CachetError ERR_OUTPUT_WRITE when the lock stays held by a live process for `timeoutMs`.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 60_000;
  const holder: LockHolder = { pid: process.pid, nonce: randomBytes(16).toString('hex'), time: Date.now() };
  const deadline = Date.now() + timeoutMs;
  // The protected file's directory may not exist yet (the first enrolment in a new home).
  await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 });
  for (let attempt = 0; ; attempt++) {
    holder.time = Date.now();
    if (await tryCreate(lockPath, holder)) break;
    const current = await readHolder(lockPath);
    if (current === undefined) continue; // released between our open and our read
    // A lock without a readable holder may be one being written this instant: left behind only after a second.
    const leftBehind = current.pid === 0 ? (await ageOf(lockPath)) > 1000 : !alive(current.pid) || Date.now() - current.time > staleMs;
    if (leftBehind) {
      await breakStale(lockPath, current);
      continue;
    }
    if (Date.now() > deadline) {
      throw new CachetError('ERR_OUTPUT_WRITE', `${options.what ?? lockPath} is being changed by another program (process ${current.pid}, lock ${lockPath}); try again, or remove the lock file if no other cachet runs`, {
        details: { lock: lockPath, pid: current.pid },
      });
    }
    // Short, jittered waits: the holders here keep the lock for a few milliseconds.
    await sleep(Math.min(5 + attempt * 5, 50) + Math.floor(Math.random() * 10));
  }
  try {
    return await fn();
  } finally {
    const current = await readHolder(lockPath);
    if (current?.nonce === holder.nonce) await rm(lockPath, { force: true });
  }
}

/** Milliseconds since the file was last modified (a lock without a readable holder is judged by it). */
async function ageOf(path: string): Promise<number> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
