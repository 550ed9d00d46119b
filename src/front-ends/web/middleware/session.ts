/**
 * Login sessions: an opaque random id and a random per-session key in a cookie (`<id>.<key>`;
 * HttpOnly, SameSite=Strict, Path=/, Secure over TLS), the session's state kept by a
 * `WebSessionStore`, an idle timeout, and a per-session CSRF token that the page reads from
 * /api/session and sends back in a header on every state-changing request. The store is an interface
 * so that sessions can live where every instance of the server sees them
 * (src/front-ends/server/file-session-store.ts; a database next): `MemorySessionStore` is the one-process default
 * of `cachet web`. The key is never stored: it unseals the session's secrets (session-secrets.ts),
 * so any instance given the cookie can reopen the session and a copy of the store alone cannot.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { newSessionKey, sealSessionSecrets, unsealSessionSecrets, type SealedSecrets, type SessionSecrets } from './session-secrets.js';

export const SESSION_COOKIE = 'cachet_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface Session {
  id: string;
  user: string;
  csrfToken: string;
  lastSeen: number;
  /** The session's secrets sealed under its key (what the store keeps). */
  sealed: SealedSecrets;
}

/** A session as a request holds it: with the key its cookie carried (never in the store). */
export interface ActiveSession extends Session {
  key: string;
}

export type SessionVariables = { session: ActiveSession | undefined; requestId: string };

export interface WebSessionStore {
  /** Called when a session ends (sign-out, or idle timeout found by `get` or `sweep`). */
  onEnd(listener: (session: Session) => void): void;
  /** Whether the user still has a live session (in another browser, say). */
  hasUser(user: string): Promise<boolean>;
  /**
   * Every user with at least one live session, in one query: the periodic sweep asks about every
   * user an instance holds, and one question per user would read the whole store each time.
   */
  liveUsers(): Promise<ReadonlySet<string>>;
  /** Ends every idle session: run periodically, so that a closed browser does not leave keys open on the server. */
  sweep(): Promise<void>;
  /** A new session whose `secrets` are sealed under a new key; the key is returned, not stored. */
  create(user: string, secrets?: SessionSecrets): Promise<ActiveSession>;
  /**
   * The live session with this id, or undefined. Its idle clock restarts in the store, but the
   * session returned keeps `lastSeen` as it was (when it was last used, on any instance), for the
   * vault's idle lock (`WebMailService.noteUse`).
   */
  get(id: string | undefined): Promise<Session | undefined>;
  destroy(id: string): Promise<void>;
}

export function newSession(user: string, now: number, secrets: SessionSecrets = {}): ActiveSession {
  const id = randomBytes(32).toString('base64url');
  const key = newSessionKey();
  return { id, key, user, csrfToken: randomBytes(32).toString('base64url'), lastSeen: now, sealed: sealSessionSecrets(secrets, key, id, user) };
}

/** The stored part of a session: everything but its key. */
export function withoutKey({ key: _key, ...session }: ActiveSession): Session {
  return session;
}

/** Sessions in this process's memory: `cachet web` on one machine, and tests. */
export class MemorySessionStore implements WebSessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly endListeners: Array<(session: Session) => void> = [];

  constructor(private readonly idleMs = 30 * 60 * 1000, private readonly now: () => number = Date.now) {}

  onEnd(listener: (session: Session) => void): void {
    this.endListeners.push(listener);
  }

  private isLive(session: Session): boolean {
    return this.now() - session.lastSeen <= this.idleMs;
  }

  async hasUser(user: string): Promise<boolean> {
    for (const session of this.sessions.values()) if (session.user === user && this.isLive(session)) return true;
    return false;
  }

  async liveUsers(): Promise<ReadonlySet<string>> {
    return new Set([...this.sessions.values()].filter((session) => this.isLive(session)).map((session) => session.user));
  }

  async sweep(): Promise<void> {
    // Deleting the entry being visited is well defined for a Map's iterator.
    for (const session of this.sessions.values()) if (!this.isLive(session)) this.end(session);
  }

  private end(session: Session): void {
    this.sessions.delete(session.id);
    for (const listener of this.endListeners) listener(session);
  }

  async create(user: string, secrets?: SessionSecrets): Promise<ActiveSession> {
    const session = newSession(user, this.now(), secrets);
    this.sessions.set(session.id, withoutKey(session));
    return session;
  }

  async get(id: string | undefined): Promise<Session | undefined> {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (!this.isLive(session)) {
      this.end(session);
      return undefined;
    }
    const previous = { ...session };
    session.lastSeen = this.now();
    return previous;
  }

  async destroy(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (session) this.end(session);
  }
}

export function sessionMiddleware(store: WebSessionStore): MiddlewareHandler<{ Variables: SessionVariables }> {
  return async (c, next) => {
    const { id, key } = parseSessionCookie(getCookie(c, SESSION_COOKIE));
    const session = key === undefined ? undefined : await store.get(id);
    c.set('session', session && key !== undefined && keyOpens(session, key) ? { ...session, key } : undefined);
    await next();
  };
}

/** The cookie must carry the session's own key, whether or not this request needs its secrets. */
function keyOpens(session: Session, key: string): boolean {
  try {
    unsealSessionSecrets(session.sealed, key, session.id, session.user);
    return true;
  } catch {
    return false;
  }
}

/** `<id>.<key>` (base64url has no dot); a cookie without a key is no session. */
function parseSessionCookie(value: string | undefined): { id: string | undefined; key: string | undefined } {
  const dot = value?.indexOf('.') ?? -1;
  if (value === undefined || dot < 0) return { id: value, key: undefined };
  return { id: value.slice(0, dot), key: value.slice(dot + 1) };
}

export async function startSession(c: Context, store: WebSessionStore, user: string, secure: boolean, secrets?: SessionSecrets): Promise<ActiveSession> {
  const session = await store.create(user, secrets);
  setCookie(c, SESSION_COOKIE, `${session.id}.${session.key}`, { httpOnly: true, sameSite: 'Strict', path: '/', secure });
  return session;
}

export async function endSession(c: Context, store: WebSessionStore, secure = false): Promise<void> {
  const { id } = parseSessionCookie(getCookie(c, SESSION_COOKIE));
  if (id) await store.destroy(id);
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure });
}

/** Constant-time comparison of the CSRF header with the session's token. */
export function csrfTokenMatches(session: Session, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
