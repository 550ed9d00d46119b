/**
 * Where the acting person's own data lives (vault, address book, directory cache): their user
 * directory in a home with mail users (chosen by --as, $CACHET_USER, or the only user), else the home
 * itself (a single-person CLI installation). Kept apart from user-session.ts so that commands which
 * only need this do not load the mail libraries.
 */
import { currentUser, listUsers } from '../../use-cases/users.js';
import type { CliContext } from './context.js';
import { cachetHome } from './trust.js';

export async function personalHome(context: CliContext, as: string | undefined): Promise<string> {
  const home = cachetHome(context);
  // An explicit --as must name a user even in a single-person home: it is never silently ignored.
  if (as === undefined && (await listUsers(home)).length === 0) return home;
  return (await currentUser(home, as ?? context.env.CACHET_USER)).dir;
}

/** The context with the acting person's directory as CACHET_HOME (the organisation's home kept as CACHET_ORG_HOME). */
export async function personalContext(context: CliContext, as: string | undefined): Promise<CliContext> {
  const home = cachetHome(context);
  const personal = await personalHome(context, as);
  return personal === home ? context : { ...context, env: { ...context.env, CACHET_HOME: personal, CACHET_ORG_HOME: home } };
}
