/**
 * Failed sign-ins slow down whoever keeps guessing: per account (someone guessing one user's
 * password from many addresses) and per client address (one address guessing many users). After
 * `freeAttempts` failures (`freeAttemptsPerClient` for an address), the next attempt waits baseDelay seconds, doubled with each further failure, up to
 * maxDelay; a success clears the account's count. The counts live in a `ThrottleStore`, shared by every
 * instance of the server (a file per key here; a database table next), never in one process's memory.
 */
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../../adapters/storage/atomic-file.js';
import { withFileLock } from '../../adapters/storage/file-lock.js';
import { hashedFileName } from './hashed-file-name.js';

export interface ThrottleRecord {
  failures: number;
  lastFailure: number;
  /** No attempt is checked before this time (ms since the epoch). */
  blockedUntil: number;
}

export interface ThrottleStore {
  read(key: string): Promise<ThrottleRecord | undefined>;
  /** Reads, changes and writes one record atomically with respect to other updates (undefined deletes it). */
  update(key: string, change: (record: ThrottleRecord | undefined) => ThrottleRecord | undefined): Promise<void>;
}

export class MemoryThrottleStore implements ThrottleStore {
  private readonly records = new Map<string, ThrottleRecord>();

  async read(key: string): Promise<ThrottleRecord | undefined> {
    return this.records.get(key);
  }

  async update(key: string, change: (record: ThrottleRecord | undefined) => ThrottleRecord | undefined): Promise<void> {
    const next = change(this.records.get(key));
    if (next) this.records.set(key, next);
    else this.records.delete(key);
  }
}

/** One small file per key, named by the key's hash (no address or IP in a file name), changed under a lock. */
export class FileThrottleStore implements ThrottleStore {
  constructor(private readonly directory: string) {}

  private path(key: string): string {
    return join(this.directory, hashedFileName(key));
  }

  async read(key: string): Promise<ThrottleRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.path(key), 'utf8')) as ThrottleRecord;
    } catch {
      return undefined;
    }
  }

  async update(key: string, change: (record: ThrottleRecord | undefined) => ThrottleRecord | undefined): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const path = this.path(key);
    await withFileLock(`${path}.lock`, async () => {
      const next = change(await this.read(key));
      if (next) await writeFileAtomically(path, JSON.stringify(next), 'the sign-in throttle');
      else await rm(path, { force: true });
    }, { what: 'the sign-in throttle' });
  }

  /** Removes records whose last failure is older than `olderThanMs`. */
  async prune(olderThanMs: number, now = Date.now()): Promise<void> {
    for (const name of await readdir(this.directory).catch(() => [] as string[])) {
      if (!name.endsWith('.json')) continue;
      const info = await stat(join(this.directory, name)).catch(() => undefined);
      if (info && now - info.mtimeMs > olderThanMs) await rm(join(this.directory, name), { force: true });
    }
  }
}

export interface ThrottleRules {
  freeAttempts: number;
  /** Higher than per account: many people may share one address (a NAT, an office proxy). */
  freeAttemptsPerClient: number;
  baseDelaySeconds: number;
  maxDelaySeconds: number;
}

export class SignInThrottle {
  constructor(
    private readonly store: ThrottleStore,
    private readonly rules: ThrottleRules,
    private readonly now: () => number = Date.now,
  ) {}

  /** After a quiet day the count starts again: an old typo must not slow down a user for ever. */
  private fresh(record: ThrottleRecord | undefined): ThrottleRecord | undefined {
    return record && this.now() - record.lastFailure < 24 * 3600_000 ? record : undefined;
  }

  /** Seconds to wait before any of these keys may try again (0: go ahead). */
  async waitSeconds(keys: string[]): Promise<number> {
    let until = 0;
    for (const key of keys) until = Math.max(until, this.fresh(await this.store.read(key))?.blockedUntil ?? 0);
    return Math.max(0, Math.ceil((until - this.now()) / 1000));
  }

  /** Counts a failure for the account and the client address. */
  async failed(account: string, client: string): Promise<void> {
    for (const [key, free] of [[account, this.rules.freeAttempts], [client, this.rules.freeAttemptsPerClient]] as const) {
      await this.store.update(key, (old) => {
        const failures = (this.fresh(old)?.failures ?? 0) + 1;
        const over = failures - free;
        // The free attempt that is used up last already brings the first wait.
        const delay = over < 0 ? 0 : Math.min(this.rules.maxDelaySeconds, this.rules.baseDelaySeconds * 2 ** Math.min(over, 30));
        return { failures, lastFailure: this.now(), blockedUntil: this.now() + delay * 1000 };
      });
    }
  }

  async succeeded(key: string): Promise<void> {
    await this.store.update(key, () => undefined);
  }
}
