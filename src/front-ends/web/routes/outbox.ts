/** The Outbox page's API (src/use-cases/outbox.ts, shared with `cachet outbox`): list, retry, give up. */
import { deleteFromOutbox, listOutbox, retryOutbox } from '../../../use-cases/outbox.js';
import type { RouteKit } from './route-kit.js';

export function outboxRoutes({ app, handle, mailSession }: RouteKit): void {
  app.get('/api/outbox', handle(async (c, s) => c.json(await listOutbox((await mailSession(s.user)).user))));
  app.post(
    '/api/outbox/retry',
    handle(async (c, s) => {
      const body = (await c.req.json().catch(() => ({}))) as { batch?: unknown };
      const mail = await mailSession(s.user);
      return c.json(await retryOutbox(mail.user, mail.transport, typeof body.batch === 'string' ? [body.batch] : undefined));
    }),
  );
  app.delete(
    '/api/outbox/:batch',
    handle(async (c, s) => {
      const mail = await mailSession(s.user);
      await deleteFromOutbox(mail.user, c.req.param('batch') ?? '');
      return c.json(await listOutbox(mail.user));
    }),
  );
}
