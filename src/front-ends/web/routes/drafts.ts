/**
 * Drafts while composing (src/use-cases/drafts.ts): save (encrypted to the author, replacing the
 * previous save), open to continue, delete once sent or discarded. "not-stored" says why nothing
 * was written to the server, so that the page keeps the draft in the browser tab instead.
 */
import { CachetError } from '../../../errors.js';
import { deleteDraft, openDraft, saveDraft, type DraftContent } from '../../../use-cases/drafts.js';
import type { MailSession } from '../../../use-cases/mail-session.js';
import { stringList, type RouteKit } from './route-kit.js';

function draftContext(mail: MailSession) {
  return { user: mail.user, policy: mail.policy, store: () => mail.store() };
}

function readDraftBody(body: Record<string, unknown>): DraftContent {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const reply = body['replyTo'] as { folder?: unknown; id?: unknown } | null | undefined;
  return {
    to: stringList(body['to']),
    cc: stringList(body['cc']),
    bcc: stringList(body['bcc']),
    subject: text(body['subject']),
    body: text(body['body']),
    replyTo: reply && typeof reply.folder === 'string' && typeof reply.id === 'string' ? { folder: reply.folder, id: reply.id } : null,
  };
}

export function draftRoutes({ app, handle, mailSession }: RouteKit): void {
  app.post(
    '/api/drafts',
    handle(async (c, s) => {
      const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
      if (!body || typeof body !== 'object') throw new CachetError('ERR_USAGE', 'a draft is a JSON object');
      const replaces = typeof body['id'] === 'string' && body['id'].length > 0 ? body['id'] : undefined;
      return c.json(await saveDraft(readDraftBody(body), draftContext(await mailSession(s.user)), replaces));
    }),
  );
  app.get(
    '/api/drafts/:id',
    handle(async (c, s) => c.json(await openDraft(c.req.param('id') ?? '', draftContext(await mailSession(s.user))))),
  );
  app.delete(
    '/api/drafts/:id',
    handle(async (c, s) => {
      await deleteDraft(c.req.param('id') ?? '', draftContext(await mailSession(s.user)));
      return c.json({ ok: true });
    }),
  );
}
