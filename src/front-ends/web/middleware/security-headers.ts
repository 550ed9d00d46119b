/**
 * Security headers on every response. The app's own pages may load only Cachet's own scripts and
 * styles; message bodies are shown in a sandboxed iframe whose document carries its own, stricter CSP
 * (see message-frame.ts), so mail content can neither run script nor fetch anything.
 */
import type { MiddlewareHandler } from 'hono';

export const APP_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** `hstsMaxAgeSeconds`: served over TLS, browsers are told to come back over TLS only. */
export function securityHeaders(hstsMaxAgeSeconds?: number): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    if (!h.has('Content-Security-Policy')) h.set('Content-Security-Policy', APP_CONTENT_SECURITY_POLICY);
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('Referrer-Policy', 'no-referrer');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    h.set('Cross-Origin-Resource-Policy', 'same-origin');
    h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (!h.has('X-Frame-Options')) h.set('X-Frame-Options', 'DENY');
    if (!h.has('Cache-Control')) h.set('Cache-Control', 'no-store');
    if (hstsMaxAgeSeconds !== undefined) h.set('Strict-Transport-Security', `max-age=${hstsMaxAgeSeconds}; includeSubDomains`);
  };
}
