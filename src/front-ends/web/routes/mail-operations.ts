/**
 * The HTTP side of the daily mail operations; each route translates to one MailOperationsService call:
 *
 *   POST /api/folders/:folder/messages/:id/delete    → into Trash (its undo), or for good from Trash
 *   POST /api/folders/:folder/messages/:id/move      { to }
 *   POST /api/folders/:folder/messages/:id/archive
 *   POST /api/folders/:folder/messages/:id/flags     { seen?, flagged? }
 *   GET  /api/folders/:folder/search?from&subject&since&before&attachment=yes|no
 *   GET  /api/folders/:folder/messages/:id/conversation
 */
import type { Context, Hono } from 'hono';
import { CachetError } from '../../../errors.js';
import type { ActiveSession, SessionVariables } from '../middleware/session.js';
import type { MailOperationsService, SearchCriteria } from '../mail-service.js';

type AppContext = Context<{ Variables: SessionVariables }>;
type Handle = (fn: (c: AppContext, session: ActiveSession) => Promise<Response>) => (c: AppContext) => Promise<Response>;

async function jsonBody(c: AppContext): Promise<Record<string, unknown>> {
  const body: unknown = await c.req.json().catch(() => ({}));
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function optionalFlag(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new CachetError('ERR_USAGE', `${name} must be true or false`);
  return value;
}

function searchCriteria(c: AppContext): SearchCriteria {
  const text = (name: string) => {
    const value = c.req.query(name)?.trim();
    return value ? value : undefined;
  };
  const attachment = c.req.query('attachment');
  if (attachment !== undefined && attachment !== '' && attachment !== 'yes' && attachment !== 'no') throw new CachetError('ERR_USAGE', 'attachment must be yes or no');
  const criteria: SearchCriteria = {};
  for (const name of ['from', 'subject', 'since', 'before'] as const) {
    const value = text(name);
    if (value !== undefined) criteria[name] = value;
  }
  if (attachment === 'yes' || attachment === 'no') criteria.hasAttachment = attachment === 'yes';
  return criteria;
}

export function mailOperationRoutes(app: Hono<{ Variables: SessionVariables }>, operations: MailOperationsService, handle: Handle): void {
  const message = '/api/folders/:folder/messages/:id';
  const where = (c: AppContext) => [c.req.param('folder') ?? '', c.req.param('id') ?? ''] as const;
  app.post(`${message}/delete`, handle(async (c, s) => c.json(await operations.deleteMessage(s.user, ...where(c)))));
  app.post(
    `${message}/move`,
    handle(async (c, s) => {
      const { to } = await jsonBody(c);
      if (typeof to !== 'string' || to === '') throw new CachetError('ERR_USAGE', 'say which folder to move it to');
      return c.json(await operations.moveMessage(s.user, ...where(c), to));
    }),
  );
  app.post(`${message}/archive`, handle(async (c, s) => c.json(await operations.archiveMessage(s.user, ...where(c)))));
  app.post(
    `${message}/flags`,
    handle(async (c, s) => {
      const body = await jsonBody(c);
      const seen = optionalFlag(body, 'seen');
      const flagged = optionalFlag(body, 'flagged');
      await operations.setFlags(s.user, ...where(c), { ...(seen !== undefined ? { seen } : {}), ...(flagged !== undefined ? { flagged } : {}) });
      return c.json({ ok: true });
    }),
  );
  app.get('/api/folders/:folder/search', handle(async (c, s) => c.json(await operations.search(s.user, c.req.param('folder') ?? '', searchCriteria(c)))));
  app.get(`${message}/conversation`, handle(async (c, s) => c.json(await operations.conversation(s.user, ...where(c)))));
}
