/**
 * Local login sessions: an opaque random id in a cookie (HttpOnly, SameSite=Strict, Path=/), the
 * session's state kept in server memory, an idle timeout, and a per-session CSRF token that the page
 * reads from /api/session and sends back in a header on every state-changing request.
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

export type SessionVariables = { session: Session | undefined };

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly endListeners: Array<(session: Session) => void> = [];

  constructor(private readonly idleMs = 30 * 60 * 1000, private readonly now: () => number = Date.now) {}

  /** Called when a session ends (sign-out, or idle timeout found by `get` or `sweep`). */
  onEnd(listener: (session: Session) => void): void {
    this.endListeners.push(listener);
  }

  /** Whether the user still has a live session (in another browser, say). */
  hasUser(user: string): boolean {
    for (const session of this.sessions.values()) if (session.user === user && this.now() - session.lastSeen <= this.idleMs) return true;
    return false;
  }

  /** Ends every idle session: run periodically, so that a closed browser does not leave keys open on the server. */
  sweep(): void {
    // Deleting the entry being visited is well defined for a Map's iterator.
    for (const session of this.sessions.values()) if (this.now() - session.lastSeen > this.idleMs) this.end(session);
  }

  private end(session: Session): void {
    this.sessions.delete(session.id);
    for (const listener of this.endListeners) listener(session);
  }

  create(user: string): Session {
    const session = { id: randomBytes(32).toString('base64url'), user, csrfToken: randomBytes(32).toString('base64url'), lastSeen: this.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string | undefined): Session | undefined {
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

  destroy(id: string): void {
    const session = this.sessions.get(id);
    if (session) this.end(session);
  }
}

export function sessionMiddleware(store: SessionStore): MiddlewareHandler<{ Variables: SessionVariables }> {
  return async (c, next) => {
    c.set('session', store.get(getCookie(c, SESSION_COOKIE)));
    await next();
  };
}

export function startSession(c: Context, store: SessionStore, user: string, secure: boolean): Session {
  const session = store.create(user);
  setCookie(c, SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'Strict', path: '/', secure });
  return session;
}

export function endSession(c: Context, store: SessionStore): void {
  const id = getCookie(c, SESSION_COOKIE);
  if (id) store.destroy(id);
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

/** Constant-time comparison of the CSRF header with the session's token. */
export function csrfTokenMatches(session: Session, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
