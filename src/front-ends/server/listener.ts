/**
 * How `cachet server` meets the network: HTTPS with the configured certificate (read again on
 * SIGHUP, so a renewed certificate needs no restart), or plain HTTP on a loopback address only —
 * unless a TLS-terminating proxy is configured, whose X-Forwarded-For is then believed from its own
 * addresses and no one else's. Shutting down stops accepting, lets requests in flight (a send) finish
 * within the grace time, then closes what is left.
 */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { isIP } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { Context } from 'hono';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { CachetError } from '../../errors.js';
import type { ServerConfig } from './config.js';

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  const lower = host.toLowerCase().replace(/^\[|\]$/g, '');
  return lower === '::1' || lower.startsWith('::ffff:127.');
}

/**
 * Plain HTTP would carry passwords and mail in clear to anyone on the network.
 * @throws CachetError ERR_POLICY_INVALID naming listen.host when no TLS protects a non-loopback listen.
 */
export function assertSafeListen(config: Pick<ServerConfig, 'listen' | 'tls' | 'proxy' | 'file'>): void {
  if (config.tls || config.proxy || isLoopback(config.listen.host)) return;
  throw new CachetError(
    'ERR_POLICY_INVALID',
    `${config.file}: refusing to serve plain HTTP on ${config.listen.host}, which is not a loopback address: configure "tls" (a certificate and key), or "proxy" when a TLS-terminating proxy is in front`,
    { details: { key: 'listen.host' } },
  );
}

/**
 * The client's address: the socket's peer, or, when that peer is one of the trusted proxies, the
 * address the proxy saw (the right-most X-Forwarded-For entry that is not itself a trusted proxy).
 */
export function clientAddressOf(trustedProxies: readonly string[]): (c: Context) => string {
  const trusted = new Set(trustedProxies.map((a) => a.replace(/^::ffff:/, '')));
  return (c) => {
    const peer = (getConnInfo(c).remote.address ?? 'unknown').replace(/^::ffff:/, '');
    if (!trusted.has(peer)) return peer;
    const forwarded = (c.req.header('x-forwarded-for') ?? '').split(',').map((a) => a.trim().replace(/^::ffff:/, '')).filter(Boolean);
    for (let i = forwarded.length - 1; i >= 0; i--) if (!trusted.has(forwarded[i]!)) return forwarded[i]!;
    return peer;
  };
}

export interface RunningListener {
  url: string;
  /** Reads the certificate and key again; the next TLS handshakes use them. */
  reloadTls(): Promise<void>;
  /** Stops accepting, waits up to `graceMs` for requests in flight, then closes every connection. */
  close(graceMs: number): Promise<void>;
}

async function readTls(tls: NonNullable<ServerConfig['tls']>): Promise<{ cert: Buffer; key: Buffer }> {
  try {
    return { cert: await readFile(tls.certificate), key: await readFile(tls.key) };
  } catch (error) {
    throw new CachetError('ERR_INPUT_READ', `cannot read the TLS certificate or key: ${(error as Error).message}`, { cause: error });
  }
}

export async function listen(fetch: (request: Request, env: unknown) => Response | Promise<Response>, config: ServerConfig): Promise<RunningListener> {
  assertSafeListen(config);
  const tls = config.tls;
  const material = tls ? await readTls(tls) : undefined;
  const { host, port } = config.listen;
  const server = await new Promise<HttpServer | HttpsServer>((resolve, reject) => {
    const created = (
      material
        ? serve({ fetch, hostname: host, port, createServer: createHttpsServer, serverOptions: { ...material, minVersion: 'TLSv1.2' } }, () => resolve(created as HttpsServer))
        : serve({ fetch, hostname: host, port }, () => resolve(created as HttpServer))
    ) as HttpServer | HttpsServer;
    created.once('error', (error) => reject(new CachetError('ERR_USAGE', `cannot listen on ${host}:${port}: ${error.message}`, { cause: error })));
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = isIP(host) === 6 ? `[${host}]` : host;
  return {
    url: `${tls ? 'https' : 'http'}://${shownHost}:${boundPort}`,
    async reloadTls() {
      if (!tls) return;
      (server as HttpsServer).setSecureContext({ ...(await readTls(tls)), minVersion: 'TLSv1.2' });
    },
    async close(graceMs) {
      // server.close() stops accepting and ends idle keep-alive connections; a connection whose
      // response is still being made (a send) is ended once that response is written, as Node's
      // server tells them apart — so it is asked again until all are gone or the grace time is up.
      const closed = new Promise<void>((done) => server.close(() => done()));
      const sweeper = setInterval(() => server.closeIdleConnections(), 50);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((done) => (timer = setTimeout(done, graceMs)))]);
      clearInterval(sweeper);
      clearTimeout(timer);
      server.closeAllConnections();
      await closed;
    },
  };
}
