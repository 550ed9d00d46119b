/**
 * The mail-client commands' session: who is acting (--as, $CACHET_USER, or the only user) and how
 * their secrets are asked at a terminal; everything else is the one mail session of the use-case
 * layer (src/use-cases/mail-session.ts), which the web client opens too.
 */
import { openMailSession, type MailSession } from '../../use-cases/mail-session.js';
import { currentUser } from '../../use-cases/users.js';
import type { CliContext } from './context.js';
import { cliKeyUnlock } from './own-keys.js';
import { OWN_KEY_OPTIONS } from './own-key-options.js';
import { cachetHome } from './trust.js';

export type UserSession = MailSession;

export interface UserSessionOptions {
  as?: string | undefined;
  passphraseFile?: string | undefined;
  /** derivedCredentials: the token PIN's file (else $CACHET_TOKEN_PIN, else a prompt). */
  pinFile?: string | undefined;
}

export async function openUserSession(context: CliContext, options: UserSessionOptions): Promise<UserSession> {
  const home = cachetHome(context);
  const user = await currentUser(home, options.as ?? context.env.CACHET_USER);
  return openMailSession({ home, user, policyFile: context.env.CACHET_POLICY, unlock: cliKeyUnlock(context, user.dir, options) });
}

/** Runs `use` in the user's session and always closes it (logs out of IMAP, ends a token session), so the command exits. */
export async function withUserSession<T>(context: CliContext, options: UserSessionOptions, use: (session: UserSession) => Promise<T>): Promise<T> {
  const session = await openUserSession(context, options);
  try {
    return await use(session);
  } finally {
    await session.close();
  }
}

/** Who acts and how their keys are unlocked: the same options as the engine commands' own keys. */
export const USER_OPTIONS = OWN_KEY_OPTIONS;
