/**
 * CSRF protection for the JSON API: every state-changing request must carry the session's token in
 * the X-CSRF-Token header (which a cross-site form cannot set) and, when the browser sends one, an
 * Origin equal to ours. SameSite=Strict cookies are the first line; this is the second.
 */
import type { MiddlewareHandler } from 'hono';
import { errorJson } from '../error-json.js';
import { CSRF_HEADER, csrfTokenMatches, type SessionVariables } from './session.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function csrfProtection(): MiddlewareHandler<{ Variables: SessionVariables }> {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== new URL(c.req.url).origin) {
      return errorJson(c, 'ERR_CSRF', 'cross-site request refused');
    }
    const session = c.get('session');
    // Login has no session yet: the Origin check and SameSite cookies cover it.
    if (!session) return next();
    if (!csrfTokenMatches(session, c.req.header(CSRF_HEADER))) {
      return errorJson(c, 'ERR_CSRF', 'missing or wrong CSRF token; reload the page');
    }
    return next();
  };
}
