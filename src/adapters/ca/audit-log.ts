/**
 * The CA's audit log, `$CACHET_HOME/ca/audit.log`: one JSON line per act (issue, distribute, publish,
 * revoke, renew, …), who did it and when. It is only ever appended to (O_APPEND, owner-only), and
 * each line carries the SHA-256 of the line before it, so a line removed, changed or reordered
 * afterwards shows on `cachet ca audit --verify` (a hash chain: it detects a careless or partial
 * edit; someone who rewrites the whole file from that point on can forge it, as with any log kept
 * beside the CA — copy it elsewhere for more).
 */
import { createHash } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { CachetError } from '../../errors.js';
import { withFileLock } from '../storage/file-lock.js';

export type AuditAction =
  | 'init' | 'issue' | 'refuse' | 'distribute' | 'publish' | 'revoke' | 'renew' | 'archive-key' | 'recover-key' | 'acme-order';

export interface AuditEvent {
  at: string;
  /** The administrator (or ACME account, or the renewal client) that acted. */
  who: string;
  action: AuditAction;
  serial?: string;
  email?: string;
  /** Anything else worth keeping: template, reason, where it was delivered, the directory entry. */
  details?: Record<string, unknown>;
  /** SHA-256 (hex) of the previous line, "" for the first. */
  prev: string;
}

export const AUDIT_LOG_FILE = 'audit.log';
/** The hash chain's start. */
const GENESIS = '';

/** Who acts, for the log: $CACHET_ADMIN when set (a shared admin account), else the OS user. */
export function actorFrom(env: NodeJS.ProcessEnv): string {
  if (env.CACHET_ADMIN) return env.CACHET_ADMIN;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function lineHash(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

export class CaAuditLog {
  readonly path: string;

  constructor(caDirectory: string) {
    this.path = join(caDirectory, AUDIT_LOG_FILE);
  }

  private async lines(): Promise<string[]> {
    try {
      return (await readFile(this.path, 'utf8')).split('\n').filter((l) => l.length > 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new CachetError('ERR_INPUT_READ', `cannot read the CA audit log ${this.path}`, { cause: error });
    }
  }

  /** Appends one event, chained to the last line; serialised by a lock so two writers never chain to the same line. */
  async append(event: Omit<AuditEvent, 'prev' | 'at'> & { at?: string }): Promise<AuditEvent> {
    return withFileLock(`${this.path}.lock`, async () => {
      const last = (await this.lines()).at(-1);
      const full: AuditEvent = { at: event.at ?? new Date().toISOString(), who: event.who, action: event.action, ...(event.serial ? { serial: event.serial } : {}), ...(event.email ? { email: event.email } : {}), ...(event.details ? { details: event.details } : {}), prev: last === undefined ? GENESIS : lineHash(last) };
      await appendFile(this.path, `${JSON.stringify(full)}\n`, { mode: 0o600, flag: 'a' });
      return full;
    }, { timeoutMs: 10_000, staleMs: 60_000, what: 'the CA audit log' });
  }

  async events(): Promise<AuditEvent[]> {
    return (await this.lines()).map((line, index) => {
      try {
        return JSON.parse(line) as AuditEvent;
      } catch (error) {
        throw new CachetError('ERR_CA_AUDIT_BROKEN', `line ${index + 1} of ${this.path} is not a log record: the log was edited`, { cause: error, details: { line: index + 1 } });
      }
    });
  }

  /**
   * Checks the chain.
   * @throws CachetError ERR_CA_AUDIT_BROKEN naming the first line that does not follow from the one before.
   */
  async verify(): Promise<number> {
    const lines = await this.lines();
    let prev = GENESIS;
    for (const [index, line] of lines.entries()) {
      let event: AuditEvent;
      try {
        event = JSON.parse(line) as AuditEvent;
      } catch (error) {
        throw new CachetError('ERR_CA_AUDIT_BROKEN', `line ${index + 1} of ${this.path} is not a log record: the log was edited`, { cause: error, details: { line: index + 1 } });
      }
      if (event.prev !== prev) {
        throw new CachetError('ERR_CA_AUDIT_BROKEN', `line ${index + 1} of ${this.path} does not follow the line before it: a record was removed, changed or moved`, { details: { line: index + 1 } });
      }
      prev = lineHash(line);
    }
    return lines.length;
  }
}
