/**
 * Serves the web app with Node's HTTP server on 127.0.0.1 (never on all interfaces by default), and
 * the built front end (dist/web-ui, made by `vite build`) from Cachet itself: no CDN at run time.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { CachetError } from '../../errors.js';
import { createWebApp, type WebAppOptions } from './app.js';

/** Where `vite build` puts the front end: <package>/dist/web-ui, from both src/ (tsx) and dist/. */
export function webUiDirectory(): string {
  for (const candidate of ['../../../dist/web-ui', '../../web-ui']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${path}/index.html`)) return path;
  }
  throw new CachetError('ERR_INPUT_READ', 'the web front end is not built; run "npm run build"');
}

export interface RunningWebServer {
  url: string;
  close(): Promise<void>;
}

/** Routes for the built front end, added last to an app (`staticAssets`); also used by `cachet server`. */
export function webUiAssets(): NonNullable<WebAppOptions['staticAssets']> {
  const root = relative(process.cwd(), webUiDirectory()) || '.';
  return (a) => {
    a.use('/assets/*', serveStatic({ root, onFound: (_path, c) => c.header('Cache-Control', 'public, max-age=3600') }));
    a.get('/favicon.svg', serveStatic({ root, path: 'favicon.svg' }));
    // The installable app (web-ui/public): its manifest, icons and service worker, which must be
    // checked for a new version on every start (no-cache), and keeps the app shell only.
    a.get('/manifest.webmanifest', serveStatic({ root, path: 'manifest.webmanifest', onFound: (_path, c) => c.header('Content-Type', 'application/manifest+json') }));
    a.use('/icons/*', serveStatic({ root }));
    a.get('/sw.js', serveStatic({ root, path: 'sw.js', onFound: (_path, c) => c.header('Cache-Control', 'no-cache') }));
    a.get('*', serveStatic({ root, path: 'index.html' }));
  };
}

export async function startWebServer(options: WebAppOptions & { host?: string; port?: number }): Promise<RunningWebServer> {
  const app = createWebApp({ ...options, staticAssets: webUiAssets() });
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined = undefined;
    try {
      server = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 0 }, (info) => {
        resolve({
          url: `http://${host}:${info.port}`,
          close: () => new Promise<void>((done) => server!.close(() => done())),
        });
      });
      server.once('error', (error) => reject(new CachetError('ERR_USAGE', `cannot listen on ${host}:${options.port ?? 0}: ${(error as Error).message}`, { cause: error })));
    } catch (error) {
      reject(error);
    }
  });
}
