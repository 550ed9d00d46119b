/**
 * Web sessions in files under the state directory, so that every server process on the machine sees
 * the same sessions (a restart or a second instance signs nobody out); a database store takes this
 * one's place for many machines. A session's file is named by the SHA-256 of its id: a copy of the
 * state directory holds no cookie that could be replayed. It keeps the session's secrets only sealed
 * under the key that the cookie alone carries (web/middleware/session-secrets.ts).
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../../adapters/storage/atomic-file.js';
import { newSession, withoutKey, type ActiveSession, type Session, type WebSessionStore } from '../web/middleware/session.js';
import type { SessionSecrets } from '../web/middleware/session-secrets.js';
import { hashedFileName } from './hashed-file-name.js';

type StoredSession = Omit<Session, 'id'>;

/** What a session's file holds: named fields only, so that nothing else (never the key) is written. */
function record({ user, csrfToken, lastSeen, sealed }: StoredSession): string {
  return JSON.stringify({ user, csrfToken, lastSeen, sealed });
}

/** A session's idle clock is written at most this often, not at every request. */
const TOUCH_INTERVAL_MS = 30_000;

export class FileSessionStore implements WebSessionStore {
  private readonly endListeners: Array<(session: Session) => void> = [];

  constructor(
    private readonly directory: string,
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private static fileName(id: string): string {
    return hashedFileName(id);
  }

  onEnd(listener: (session: Session) => void): void {
    this.endListeners.push(listener);
  }

  private async stored(): Promise<Array<{ name: string; session: StoredSession }>> {
    const out: Array<{ name: string; session: StoredSession }> = [];
    for (const name of await readdir(this.directory).catch(() => [] as string[])) {
      if (!name.endsWith('.json')) continue;
      const session = await this.readFile(name);
      if (session) out.push({ name, session });
    }
    return out;
  }

  private async readFile(name: string): Promise<StoredSession | undefined> {
    try {
      return JSON.parse(await readFile(join(this.directory, name), 'utf8')) as StoredSession;
    } catch {
      return undefined;
    }
  }

  private async end(name: string, session: Session): Promise<void> {
    await rm(join(this.directory, name), { force: true });
    for (const listener of this.endListeners) listener(session);
  }

  private isLive(session: StoredSession): boolean {
    return this.now() - session.lastSeen <= this.idleMs;
  }

  async hasUser(user: string): Promise<boolean> {
    return (await this.liveUsers()).has(user);
  }

  /** One read of the directory and its files, however many users the caller asks about. */
  async liveUsers(): Promise<ReadonlySet<string>> {
    return new Set((await this.stored()).filter(({ session }) => this.isLive(session)).map(({ session }) => session.user));
  }

  async sweep(): Promise<void> {
    for (const { name, session } of await this.stored()) {
      if (!this.isLive(session)) await this.end(name, { id: '', ...session });
    }
  }

  async create(user: string, secrets?: SessionSecrets): Promise<ActiveSession> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const session = newSession(user, this.now(), secrets);
    await writeFileAtomically(join(this.directory, FileSessionStore.fileName(session.id)), record(withoutKey(session)), 'a web session');
    return session;
  }

  async get(id: string | undefined): Promise<Session | undefined> {
    if (!id) return undefined;
    const name = FileSessionStore.fileName(id);
    const stored = await this.readFile(name);
    if (!stored) return undefined;
    const session = { id, ...stored };
    if (!this.isLive(stored)) {
      await this.end(name, session);
      return undefined;
    }
    if (this.now() - stored.lastSeen > TOUCH_INTERVAL_MS) {
      await writeFileAtomically(join(this.directory, name), record({ ...stored, lastSeen: this.now() }), 'a web session');
    }
    return session;
  }

  async destroy(id: string): Promise<void> {
    const name = FileSessionStore.fileName(id);
    const stored = await this.readFile(name);
    if (stored) await this.end(name, { id, ...stored });
  }
}
