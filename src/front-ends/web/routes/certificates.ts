/**
 * The Certificates view's API: the user's own credentials (list, import, backup, removal). Only
 * translation: each route reads its request and calls the CertificateService.
 *
 *   GET  /api/certificates                    the list, with expiry against the policy's renewDaysBefore
 *   POST /api/certificates/import             multipart: file (one or more), password, role?, replaceSigning?
 *   POST /api/certificates/import-from-mail   {folder, id, password}: every .pfx/.p12 of one mail
 *   POST /api/certificates/:id/export         {password}: a .p12 backup, as a download
 *   POST /api/certificates/:id/remove         {confirmed}: removal (a key that decrypts needs the yes)
 */
import type { Context, Hono } from 'hono';
import { CachetError } from '../../../errors.js';
import { parseCredentialRole } from '../../../adapters/keys/credential-store.js';
import type { CertificateService } from '../certificate-service.js';
import type { ActiveSession, SessionVariables } from '../middleware/session.js';

type AppContext = Context<{ Variables: SessionVariables }>;
/** app.ts's wrapper: the signed-in session, and errors as JSON. */
export type Handle = (fn: (c: AppContext, session: ActiveSession) => Promise<Response>) => (c: AppContext) => Promise<Response>;

async function jsonBody(c: AppContext): Promise<Record<string, unknown>> {
  const body: unknown = await c.req.json().catch(() => ({}));
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

function password(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new CachetError('ERR_PASSWORD_REQUIRED', 'the password is required');
  return value;
}

export function certificateRoutes(app: Hono<{ Variables: SessionVariables }>, handle: Handle, certificates: CertificateService): void {
  app.get('/api/certificates', handle(async (c, s) => c.json(await certificates.list(s.user))));

  app.post(
    '/api/certificates/import',
    handle(async (c, s) => {
      const form = await c.req.parseBody({ all: true });
      const given = form['file'];
      const files = [];
      for (const file of Array.isArray(given) ? given : given === undefined ? [] : [given]) {
        if (typeof file !== 'string') files.push({ filename: file.name || 'certificate.p12', data: new Uint8Array(await file.arrayBuffer()) });
      }
      if (files.length === 0) throw new CachetError('ERR_USAGE', 'choose a .p12 or .pfx file to import');
      const roleText = typeof form['role'] === 'string' && form['role'] !== '' ? form['role'] : undefined;
      const role = roleText === undefined ? undefined : parseCredentialRole(roleText);
      if (roleText !== undefined && role === undefined) throw new CachetError('ERR_USAGE', 'role must be signing, encryption or both');
      const choice = { ...(role ? { role } : {}), replaceSigning: form['replaceSigning'] === 'true' };
      return c.json({ results: await certificates.importFiles(s.user, files, password(form['password']), choice) });
    }),
  );

  app.post(
    '/api/certificates/import-from-mail',
    handle(async (c, s) => {
      const body = await jsonBody(c);
      if (typeof body.folder !== 'string' || typeof body.id !== 'string') throw new CachetError('ERR_USAGE', 'folder and id are required');
      return c.json({ results: await certificates.importAllFromMail(s.user, { folder: body.folder, id: body.id }, password(body.password)) });
    }),
  );

  app.post(
    '/api/certificates/:id/export',
    handle(async (c, s) => {
      const backup = await certificates.exportBackup(s.user, c.req.param('id') ?? '', password((await jsonBody(c)).password));
      return new Response(Buffer.from(backup.data), {
        headers: {
          'Content-Type': 'application/x-pkcs12',
          'Content-Disposition': `attachment; filename="${backup.filename}"`,
          'Cache-Control': 'no-store',
        },
      });
    }),
  );

  app.post(
    '/api/certificates/:id/remove',
    handle(async (c, s) => c.json(await certificates.remove(s.user, c.req.param('id') ?? '', (await jsonBody(c)).confirmed === true))),
  );
}
