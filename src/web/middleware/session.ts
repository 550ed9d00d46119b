/**
 * Login sessions: an opaque random id in a cookie (HttpOnly, SameSite=Strict, Path=/, Secure over
 * TLS), the session's state kept by a `WebSessionStore`, an idle timeout, and a per-session CSRF token
 * that the page reads from /api/session and sends back in a header on every state-changing request.
 * The store is an interface so that sessions can live where every instance of the server sees them
 * (src/server/file-session-store.ts; a database next): `MemorySessionStore` is the one-process default
 * of `cachet web`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';

export const SESSION_COOKIE = 'cachet_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface Session {
  id: string;
  user: string;
  csrfToken: string;
  lastSeen: number;
}

export type SessionVariables = { session: Session | undefined; requestId: string };

export interface WebSessionStore {
  /** Called when a session ends (sign-out, or idle timeout found by `get` or `sweep`). */
  onEnd(listener: (session: Session) => void): void;
  /** Whether the user still has a live session (in another browser, say). */
  hasUser(user: string): Promise<boolean>;
  /** Ends every idle session: run periodically, so that a closed browser does not leave keys open on the server. */
  sweep(): Promise<void>;
  create(user: string): Promise<Session>;
  /** The live session with this id (its idle clock restarted), or undefined. */
  get(id: string | undefined): Promise<Session | undefined>;
  destroy(id: string): Promise<void>;
}

export function newSession(user: string, now: number): Session {
  return { id: randomBytes(32).toString('base64url'), user, csrfToken: randomBytes(32).toString('base64url'), lastSeen: now };
}

/** Sessions in this process's memory: `cachet web` on one machine, and tests. */
export class MemorySessionStore implements WebSessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly endListeners: Array<(session: Session) => void> = [];

  constructor(private readonly idleMs = 30 * 60 * 1000, private readonly now: () => number = Date.now) {}

  onEnd(listener: (session: Session) => void): void {
    this.endListeners.push(listener);
  }

  async hasUser(user: string): Promise<boolean> {
    for (const session of this.sessions.values()) if (session.user === user && this.now() - session.lastSeen <= this.idleMs) return true;
    return false;
  }

  async sweep(): Promise<void> {
    // Deleting the entry being visited is well defined for a Map's iterator.
    for (const session of this.sessions.values()) if (this.now() - session.lastSeen > this.idleMs) this.end(session);
  }

  private end(session: Session): void {
    this.sessions.delete(session.id);
    for (const listener of this.endListeners) listener(session);
  }

  async create(user: string): Promise<Session> {
    const session = newSession(user, this.now());
    this.sessions.set(session.id, session);
    return session;
  }

  async get(id: string | undefined): Promise<Session | undefined> {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (this.now() - session.lastSeen > this.idleMs) {
      this.end(session);
      return undefined;
    }
    session.lastSeen = this.now();
    return session;
  }

  async destroy(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (session) this.end(session);
  }
}

export function sessionMiddleware(store: WebSessionStore): MiddlewareHandler<{ Variables: SessionVariables }> {
  return async (c, next) => {
    c.set('session', await store.get(getCookie(c, SESSION_COOKIE)));
    await next();
  };
}

export async function startSession(c: Context, store: WebSessionStore, user: string, secure: boolean): Promise<Session> {
  const session = await store.create(user);
  setCookie(c, SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'Strict', path: '/', secure });
  return session;
}

export async function endSession(c: Context, store: WebSessionStore, secure = false): Promise<void> {
  const id = getCookie(c, SESSION_COOKIE);
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
