/*
 * Cachet's service worker: it keeps the app shell only — the page (index.html), the built script and
 * styles (/assets/, named by content hash), the manifest and the icons — so the installed app opens
 * offline and says it cannot reach the server. It never answers for, and never stores, anything under
 * /api/ (mail, decrypted or not, settings, the session, the event stream) nor any other origin: those
 * requests go to the network untouched, as if there were no service worker.
 */
const SHELL_CACHE = 'cachet-shell-v1';
const SHELL = ['/', '/manifest.webmanifest', '/favicon.svg', '/icons/icon.svg', '/icons/icon-192.png', '/icons/icon-512.png'];

/** Whether a request is part of the shell; everything else is left to the network. */
function isShell(url, request) {
  if (url.origin !== self.location.origin || request.method !== 'GET') return false;
  if (url.pathname.startsWith('/api/') || url.pathname === '/api') return false;
  return request.mode === 'navigate' || url.pathname.startsWith('/assets/') || SHELL.includes(url.pathname);
}

/** A response worth keeping: complete, from our origin, and not a redirect or an error page. */
function keepable(response) {
  return response.ok && response.type === 'basic' && response.status === 200;
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== SHELL_CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (!isShell(url, request)) return;
  if (request.mode === 'navigate') {
    // The page from the network when it can be had (a new version), else the kept one. Every
    // navigation is the same index.html (the views are hash routes): it is kept under "/".
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (keepable(response)) {
            const copy = response.clone();
            void caches.open(SHELL_CACHE).then((cache) => cache.put('/', copy));
          }
          return response;
        })
        .catch(() => caches.match('/').then((kept) => kept ?? Response.error())),
    );
    return;
  }
  // Hashed assets never change under one name: kept on first use, served from the cache after.
  event.respondWith(
    caches.match(request).then(
      (kept) =>
        kept ??
        fetch(request).then((response) => {
          if (keepable(response)) {
            const copy = response.clone();
            void caches.open(SHELL_CACHE).then((cache) => cache.put(request, copy));
          }
          return response;
        }),
    ),
  );
});
