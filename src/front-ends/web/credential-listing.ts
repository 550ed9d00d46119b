/**
 * The user's credentials for a page of the web client (settings, certificates): a source that cannot
 * list them (a stopped vault service, a locked token) is said on the page, not a broken page.
 */
import { isCachetError, type CachetErrorCode } from '../../errors.js';
import type { StoredCredential } from '../../adapters/keys/credential-store.js';
import type { MailSession } from '../../use-cases/mail-session.js';

export interface CredentialListing {
  credentials: StoredCredential[];
  /** Why the source could not be listed, in words; null when it was (or the reason is an expected one). */
  sourceProblem: string | null;
}

/**
 * @param expected codes that are no problem to report on this page (an empty list; a PIN the page
 *        itself asks for), shown as no credentials and no problem
 */
export async function listCredentialsForPage(mail: MailSession, expected: readonly CachetErrorCode[]): Promise<CredentialListing> {
  try {
    return { credentials: await (await mail.store()).list(), sourceProblem: null };
  } catch (error) {
    if (!isCachetError(error)) throw error;
    return { credentials: [], sourceProblem: expected.includes(error.code) ? null : error.message };
  }
}
