/**
 * The web mail client's HTTP side: a Hono app on Request/Response (node-adapter.ts serves it), with
 * sessions, CSRF protection, security headers and a body limit as middleware, and a JSON API that
 * only translates to the WebMailService use cases. Private keys never reach the browser: every S/MIME
 * operation happens here, on the server, through the same use cases as the CLI.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { CachetError, isCachetError } from '../../errors.js';
import { parseCredentialRole } from '../../adapters/keys/credential-store.js';
import { errorJson } from './error-json.js';
import { certificateRoutes } from './routes/certificates.js';
import type { WithCertificates } from './certificate-service.js';
import { contactRoutes, type WithContacts } from './routes/contacts.js';
import { csrfProtection } from './middleware/csrf.js';
import { securityHeaders } from './middleware/security-headers.js';
import { endSession, MemorySessionStore, sessionMiddleware, startSession, type ActiveSession, type SessionVariables, type WebSessionStore } from './middleware/session.js';
import { unsealSessionSecrets, type SessionSecrets } from './middleware/session-secrets.js';
import { normaliseAddress } from '../../engine/smime/open.js';
import type { Draft, OutgoingAttachment, WebMailService } from './mail-service.js';
import { draftRoutes } from './routes/drafts.js';
import { outboxRoutes } from './routes/outbox.js';
import { mailOperationRoutes } from './routes/mail-operations.js';

export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
/** Each event stream holds a watch (an IMAP connection in IDLE): a few tabs per user, not unbounded. */
export const MAX_EVENT_STREAMS_PER_USER = 4;
/** A comment line this often keeps proxies from closing a quiet stream. */
const EVENT_HEARTBEAT_MS = 25_000;

export interface SignInAttempt {
  /** The address typed, in its canonical (lower-case) form. */
  user: string;
  password: string;
  /** The client's address (the proxy's forwarded one only when the proxy is trusted). */
  clientAddress: string;
}

export type SignInResult =
  /** `secrets`: what reopens the session on any instance, sealed into the session store under the cookie's key. */
  | { kind: 'signed-in'; user: string; secrets?: SessionSecrets }
  | { kind: 'refused' }
  | { kind: 'throttled'; retryAfterSeconds: number }
  /** The server that checks passwords (IMAP, the directory) is down. */
  | { kind: 'unavailable'; message: string };

export interface WebAppOptions {
  /** With `certificates`, the Certificates view's routes are served too (routes/certificates.ts). */
  service: WebMailService & WithCertificates & WithContacts;
  sessions?: WebSessionStore;
  /** Set the Secure flag on cookies (when served over TLS). */
  secureCookies?: boolean;
  /** Send Strict-Transport-Security with this max-age (served over TLS). */
  hstsMaxAgeSeconds?: number;
  /** Checks a password: `cachet server`'s throttled sign-in (src/front-ends/server/sign-in.ts); by default the service's local passwords. */
  signIn?: (attempt: SignInAttempt) => Promise<SignInResult>;
  /**
   * Reopens the server side of a live session that this process does not hold (signed in on another
   * instance, or before a restart) from its unsealed secrets. Without it (`cachet web`, one process)
   * a session the service does not hold has ended.
   */
  resumeSession?: (user: string, secrets: SessionSecrets, lastUsed: number) => Promise<void>;
  /** The client's address for a request (`cachet server` knows its proxies); default: unknown. */
  clientAddress?: (c: Context) => string;
  /** Aborted when the server shuts down: open event streams end, so that shutdown need not wait for them. */
  shutdown?: AbortSignal;
  /** How often the Outbox retry looks for mail that is due (service.retryWaitingMail); default a minute. */
  outboxRetryCheckMs?: number;
  /** Largest request body; default MAX_UPLOAD_BYTES. */
  uploadBytes?: number;
  /** Middleware and routes before the session and the API (`cachet server`'s request ids, access log and health). */
  before?: (app: Hono<{ Variables: SessionVariables }>) => void;
  /** Serves the built front end (index.html and assets); added by node-adapter.ts. */
  staticAssets?: (app: Hono<{ Variables: SessionVariables }>) => void;
}

type AppContext = Context<{ Variables: SessionVariables }>;

function errorResponse(c: AppContext, error: unknown): Response {
  if (isCachetError(error)) return errorJson(c, error.code, error.message);
  console.error('cachet web: internal error', error);
  return errorJson(c, 'ERR_INTERNAL', 'something went wrong on the server');
}

function param(c: AppContext, name: string): string {
  return c.req.param(name) ?? '';
}

function requireSession(c: AppContext): ActiveSession {
  const session = c.get('session');
  if (!session) throw new CachetError('ERR_USAGE', 'not signed in');
  return session;
}

function asStringList(value: unknown): string[] {
  const text = Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : '';
  return text
    .split(/[,;\n]/)
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
}

async function readDraft(c: AppContext): Promise<Draft> {
  const form = await c.req.parseBody({ all: true });
  const attachments: OutgoingAttachment[] = [];
  const files = form['attachment'];
  for (const file of Array.isArray(files) ? files : files === undefined ? [] : [files]) {
    if (typeof file === 'string') continue;
    attachments.push({ filename: file.name, contentType: file.type || 'application/octet-stream', data: new Uint8Array(await file.arrayBuffer()) });
  }
  const flag = (name: string) => form[name] === 'true' || form[name] === 'on';
  const draft: Draft = {
    to: asStringList(form['to']),
    cc: asStringList(form['cc']),
    bcc: asStringList(form['bcc']),
    subject: typeof form['subject'] === 'string' ? form['subject'] : '',
    body: typeof form['body'] === 'string' ? form['body'] : '',
    sign: flag('sign'),
    encrypt: flag('encrypt'),
    attachments,
    allowUnencrypted: flag('allowUnencrypted'),
    leaveOutMissing: flag('leaveOutMissing'),
  };
  if (typeof form['replyFolder'] === 'string' && typeof form['replyId'] === 'string') {
    draft.inReplyTo = { folder: form['replyFolder'], id: form['replyId'] };
  }
  const forwardMode = form['forwardMode'];
  if (typeof form['forwardFolder'] === 'string' && typeof form['forwardId'] === 'string' && (forwardMode === 'inline' || forwardMode === 'attachment')) {
    draft.forward = { folder: form['forwardFolder'], id: form['forwardId'], mode: forwardMode };
  }
  return draft;
}

export function createWebApp(options: WebAppOptions): Hono<{ Variables: SessionVariables }> {
  const { service } = options;
  const sessions = options.sessions ?? new MemorySessionStore();
  const secure = options.secureCookies ?? false;
  // When a user's last session ends, the server lets go of their keys (opened vault, token session).
  sessions.onEnd((ended) => {
    void sessions
      .hasUser(ended.user)
      .then((live) => (live ? undefined : service.endSession(ended.user)))
      .catch(() => undefined);
  });
  // Another instance may have ended a session (sign-out there): what this one holds for a user with no
  // live session left is a cache to let go of.
  const dropEnded = async () => {
    const held = service.heldUsers?.() ?? [];
    if (held.length === 0) return;
    const live = await sessions.liveUsers();
    for (const user of held) if (!live.has(user)) await service.endSession(user);
  };
  setInterval(() => void sessions.sweep().then(dropEnded).catch(() => undefined), 60_000).unref();
  // Mail waiting for a server that was down goes out by itself while its author is signed in, as any
  // mail client's Outbox does; one round at a time.
  if (service.retryWaitingMail) {
    let round: Promise<void> | null = null;
    const retrying = setInterval(() => {
      round ??= service.retryWaitingMail!().catch(() => undefined).finally(() => (round = null));
    }, options.outboxRetryCheckMs ?? 60_000);
    retrying.unref();
    options.shutdown?.addEventListener('abort', () => clearInterval(retrying));
  }
  // One reopening per user at a time: a page's parallel requests to a new instance share it.
  const resuming = new Map<string, Promise<void>>();
  const resume = async (session: ActiveSession) => {
    if (!options.resumeSession || !service.holdsSession) return;
    // Held here: the use on other instances restarts the vault's idle clock here too.
    if (service.holdsSession(session.user)) return service.noteUse?.(session.user, session.lastSeen);
    let pending = resuming.get(session.user);
    if (!pending) {
      pending = options.resumeSession(session.user, unsealSessionSecrets(session.sealed, session.key, session.id, session.user), session.lastSeen).finally(() => resuming.delete(session.user));
      resuming.set(session.user, pending);
    }
    await pending;
  };
  const signIn =
    options.signIn ??
    (async ({ user, password }: SignInAttempt): Promise<SignInResult> => ((await service.authenticate(user, password)) ? { kind: 'signed-in', user } : { kind: 'refused' }));
  const app = new Hono<{ Variables: SessionVariables }>();

  app.use('*', securityHeaders(options.hstsMaxAgeSeconds));
  options.before?.(app);
  app.use('*', sessionMiddleware(sessions));
  app.use('/api/*', bodyLimit({ maxSize: options.uploadBytes ?? MAX_UPLOAD_BYTES, onError: (c) => errorJson(c, 'ERR_LIMIT_EXCEEDED', 'the upload is too large') }));
  app.use('/api/*', csrfProtection());
  // Every API route but login and the session probe needs a signed-in user.
  app.use('/api/*', async (c, next) => {
    const path = new URL(c.req.url).pathname;
    if (path === '/api/login' || path === '/api/session') return next();
    const session = c.get('session');
    if (!session) return errorJson(c, 'ERR_NOT_SIGNED_IN', 'please sign in');
    if (path === '/api/logout') return next();
    try {
      await resume(session);
    } catch (error) {
      // A seal that does not open, or a vault that cannot be reopened: this session is over everywhere.
      if (isCachetError(error, 'ERR_SESSION_ENDED')) await endSession(c, sessions, secure);
      return errorResponse(c, error);
    }
    return next();
  });

  app.get('/api/session', (c) => {
    const session = c.get('session');
    // The upload limit is told to the page, so that Compose can say it and check it before uploading.
    return c.json(session ? { user: session.user, csrfToken: session.csrfToken, uploadLimitBytes: options.uploadBytes ?? MAX_UPLOAD_BYTES } : { user: null });
  });

  app.post('/api/login', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { user?: unknown; password?: unknown };
    const typed = typeof body.user === 'string' ? body.user.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    // Addresses are case-insensitive: Alice@Example.ORG is alice@example.org, in the session too.
    const user = typed.includes('@') ? normaliseAddress(typed) : typed.toLowerCase();
    const result = user ? await signIn({ user, password, clientAddress: options.clientAddress?.(c) ?? 'unknown' }) : ({ kind: 'refused' } as const);
    if (result.kind === 'throttled') {
      c.header('Retry-After', String(result.retryAfterSeconds));
      return errorJson(c, 'ERR_LOGIN_THROTTLED', `too many failed sign-ins: try again in ${result.retryAfterSeconds} s`);
    }
    if (result.kind === 'unavailable') return errorJson(c, 'ERR_LOGIN_UNAVAILABLE', result.message);
    if (result.kind === 'refused') return errorJson(c, 'ERR_LOGIN', 'wrong user name or password');
    const session = await startSession(c, sessions, result.user, secure, result.secrets);
    return c.json({ user: result.user, csrfToken: session.csrfToken });
  });

  app.post('/api/logout', async (c) => {
    await endSession(c, sessions, secure);
    return c.json({ ok: true });
  });

  const handle = (fn: (c: AppContext, session: ActiveSession) => Promise<Response>) => async (c: AppContext) => {
    try {
      return await fn(c, requireSession(c));
    } catch (error) {
      // The server let go of the user's keys (idle past the policy's vaultIdleMinutes): the browser
      // session ends with it, so the page shows the sign-in form instead of asking again and again.
      if (isCachetError(error, 'ERR_SESSION_ENDED')) await endSession(c, sessions, secure);
      return errorResponse(c, error);
    }
  };

  // New mail pushed to the browser (server-sent events): "mail" when the INBOX changes.
  const eventStreams = new Map<string, number>();
  app.get('/api/events', async (c) => {
    const session = requireSession(c);
    if (!service.watchInbox) return errorJson(c, 'ERR_NOT_IMPLEMENTED', 'no events here');
    if ((eventStreams.get(session.user) ?? 0) >= MAX_EVENT_STREAMS_PER_USER) return errorJson(c, 'ERR_TOO_MANY_STREAMS', `too many open windows: at most ${MAX_EVENT_STREAMS_PER_USER} receive new mail at once`);
    let watch: { close(): Promise<void> };
    try {
      watch = await service.watchInbox(session.user, () => void notify());
    } catch (error) {
      return errorResponse(c, error);
    }
    let notify = async () => {};
    eventStreams.set(session.user, (eventStreams.get(session.user) ?? 0) + 1);
    return streamSSE(c, async (stream) => {
      notify = () => stream.writeSSE({ event: 'mail', data: '{}' });
      const heartbeat = setInterval(() => void stream.write(': keep-alive\n\n').catch(() => undefined), EVENT_HEARTBEAT_MS);
      // Ends when the browser goes away, or the server shuts down (a stream never finishes by itself).
      const ended = new Promise<void>((resolve) => {
        stream.onAbort(resolve);
        options.shutdown?.addEventListener('abort', () => resolve());
        if (options.shutdown?.aborted) resolve();
      });
      try {
        await stream.writeSSE({ event: 'ready', data: '{}' });
        await ended;
      } finally {
        // Also when the browser left before "ready" was written: the IDLE connection and the count go.
        clearInterval(heartbeat);
        eventStreams.set(session.user, (eventStreams.get(session.user) ?? 1) - 1);
        await watch.close().catch(() => undefined);
      }
    });
  });

  if (service.operations) mailOperationRoutes(app, service.operations, handle);
  app.get('/api/folders', handle(async (c, s) => c.json(await service.listFolders(s.user))));
  app.get('/api/folders/:folder/messages', handle(async (c, s) => c.json(await service.listMessages(s.user, param(c, 'folder'), c.req.query('q') ?? undefined))));
  app.get('/api/folders/:folder/messages/:id', handle(async (c, s) => c.json(await service.readMessage(s.user, param(c, 'folder'), param(c, 'id')))));
  app.get(
    '/api/folders/:folder/messages/:id/attachments/:index',
    handle(async (c, s) => {
      const attachment = await service.attachment(s.user, param(c, 'folder'), param(c, 'id'), Number(param(c, 'index')));
      // Always a download, never rendered in our origin: an attachment is untrusted content.
      const safeName = attachment.filename.replace(/[^\w.\- ]/g, '_');
      return new Response(attachment.content, {
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(attachment.size),
          'Content-Disposition': `attachment; filename="${safeName}"`,
          'Content-Security-Policy': "default-src 'none'; sandbox",
        },
      });
    }),
  );
  app.post(
    '/api/recipients',
    handle(async (c, s) => {
      const body = (await c.req.json().catch(() => ({}))) as { addresses?: unknown };
      return c.json(await service.lookupRecipients(s.user, asStringList(body.addresses)));
    }),
  );
  app.post('/api/send', handle(async (c, s) => c.json(await service.send(s.user, await readDraft(c)))));
  app.get('/api/settings/smime', handle(async (c, s) => c.json(await service.smimeSettings(s.user))));
  app.put(
    '/api/settings/:key',
    handle(async (c, s) => {
      const body = (await c.req.json().catch(() => ({}))) as { value?: unknown };
      return c.json(await service.updateSetting(s.user, param(c, 'key'), body.value));
    }),
  );
  app.post(
    '/api/directory/login',
    handle(async (c, s) => {
      const body = (await c.req.json().catch(() => ({}))) as { bindDn?: unknown; password?: unknown };
      if (typeof body.password !== 'string' || (body.bindDn !== undefined && typeof body.bindDn !== 'string')) throw new CachetError('ERR_USAGE', 'the directory password is required');
      return c.json(await service.directoryLogin(s.user, { password: body.password, ...(typeof body.bindDn === 'string' ? { bindDn: body.bindDn } : {}) }));
    }),
  );
  app.post(
    '/api/token/unlock',
    handle(async (c, s) => {
      const body = (await c.req.json().catch(() => ({}))) as { pin?: unknown };
      if (typeof body.pin !== 'string' || body.pin.length === 0) throw new CachetError('ERR_PASSWORD_REQUIRED', 'the PIN of your token is required');
      return c.json(await service.unlockToken(s.user, body.pin));
    }),
  );
  app.post('/api/directory/logout', handle(async (c, s) => c.json({ directory: await service.directoryLogout(s.user) })));
  app.get('/api/policy', handle(async (c, s) => c.json(await service.effectivePolicy(s.user))));
  app.post(
    '/api/import-certificates',
    handle(async (c, s) => {
      const body = (await c.req.json().catch(() => ({}))) as { folder?: unknown; id?: unknown };
      if (typeof body.folder !== 'string' || typeof body.id !== 'string') throw new CachetError('ERR_USAGE', 'folder and id are required');
      return c.json({ imported: await service.importCertificates(s.user, { folder: body.folder, id: body.id }) });
    }),
  );
  app.post(
    '/api/import-from-mail',
    handle(async (c, s) => {
      const body = (await c.req.json().catch(() => ({}))) as { folder?: string; id?: string; index?: number; password?: string; role?: unknown; replaceSigning?: unknown };
      if (typeof body.folder !== 'string' || typeof body.id !== 'string' || typeof body.index !== 'number' || typeof body.password !== 'string') {
        throw new CachetError('ERR_USAGE', 'folder, id, index and password are required');
      }
      const role = typeof body.role === 'string' ? parseCredentialRole(body.role) : undefined;
      if (body.role !== undefined && role === undefined) throw new CachetError('ERR_USAGE', 'role must be signing, encryption or both');
      const choice = { ...(role ? { role } : {}), replaceSigning: body.replaceSigning === true };
      return c.json(await service.importFromMail(s.user, { folder: body.folder, id: body.id, index: body.index }, body.password, choice));
    }),
  );

  // Route modules of their own (routes/): each is given the app, `handle` and the user's mail session.
  if (service.mailSession) {
    const kit = { app, handle, mailSession: service.mailSession.bind(service) };
    draftRoutes(kit);
    outboxRoutes(kit);
  }
  if (service.certificates) certificateRoutes(app, handle, service.certificates);
  if (service.suggestContacts) contactRoutes(app, handle, { suggestContacts: service.suggestContacts.bind(service) });

  options.staticAssets?.(app);
  return app;
}
