/**
 * What a route module under routes/ is given by app.ts: the app to add its routes to, `handle` (which
 * runs a route for the signed-in user and turns errors into the API's JSON, ending the browser session
 * with the server's), and the signed-in user's mail session, on which the use cases act.
 */
import type { Context, Hono } from 'hono';
import type { MailSession } from '../../../use-cases/mail-session.js';
import type { ActiveSession, SessionVariables } from '../middleware/session.js';

export type AppContext = Context<{ Variables: SessionVariables }>;

export interface RouteKit {
  app: Hono<{ Variables: SessionVariables }>;
  handle: (fn: (c: AppContext, session: ActiveSession) => Promise<Response>) => (c: AppContext) => Promise<Response>;
  /** The user's mail session (the idle lock applies: ERR_SESSION_ENDED once it struck). */
  mailSession: (user: string) => Promise<MailSession>;
}

/** A JSON body field read as a list of strings (anything else: empty), bounded in count. */
export function stringList(value: unknown, max = 500): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').slice(0, max) : [];
}
