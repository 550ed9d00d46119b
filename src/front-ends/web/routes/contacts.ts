/**
 * To/Cc autocomplete: GET /api/contacts?q=TEXT — people whose address or name starts with TEXT, from
 * the address book and the directory, each with the certificate state the send would find
 * (src/use-cases/contacts.ts). Only translation here.
 */
import type { Hono } from 'hono';
import type { RecipientStatus } from '../mail-service.js';
import type { SessionVariables } from '../middleware/session.js';
import type { Handle } from './certificates.js';

export interface ContactSuggestionsView {
  suggestions: Array<{ address: string; name: string | null; from: Array<'addressbook' | 'directory'>; status: RecipientStatus }>;
  /** Why the directory could not be asked, or null. */
  directoryProblem: string | null;
}

/** A mail service that also suggests contacts (ClientMailService does). */
export interface WithContacts {
  suggestContacts?(user: string, typed: string): Promise<ContactSuggestionsView>;
}

export function contactRoutes(app: Hono<{ Variables: SessionVariables }>, handle: Handle, service: Required<WithContacts>): void {
  app.get('/api/contacts', handle(async (c, s) => c.json(await service.suggestContacts(s.user, c.req.query('q') ?? ''))));
}
