/**
 * The installable app: the service worker (public/sw.js) keeps the app shell — the page, its script,
 * styles and icons — so the app opens from the home screen; it never keeps /api answers, mail or
 * anything decrypted (see sw.js). Browsers register service workers only in a secure context
 * (HTTPS, or 127.0.0.1 for `cachet web`).
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => undefined);
}
