/**
 * Logging in to a directory that answers bound users only: the bind DN (the policy's, or the user's
 * own when the policy leaves it to each user) and the password are checked against the directory
 * first, then kept in the user's vault, where lookups and sending find them. One use case for the CLI
 * (`cachet directory login|logout`) and the web client's settings.
 */
import { checkDirectoryAccess } from '../adapters/directory/ldap-lookup.js';
import { BIND_DN_SECRET, BIND_PASSWORD_SECRET, directoryFromPolicy } from '../adapters/directory/policy-directory.js';
import { CachetError } from '../errors.js';
import type { EffectivePolicy } from '../adapters/policy/policy.js';
import type { NamedSecrets } from '../adapters/keys/credential-store.js';

export interface DirectoryLoginState {
  url: string;
  /** The DN the policy sets (the user cannot change it), else the one kept from the last login. */
  bindDn: string | null;
  bindDnLocked: boolean;
  loggedIn: boolean;
}

/** What the settings show: undefined when the policy names no directory or lets everyone search it. */
export async function directoryLoginState(policy: EffectivePolicy, home: string, openVault: () => Promise<NamedSecrets>): Promise<DirectoryLoginState | undefined> {
  const directory = await directoryFromPolicy(policy, { home });
  if (!directory || directory.anonymous) return undefined;
  const policyDn = policy.get('ldapBindDn') as string | null;
  const vault = await openVault();
  const keptDn = (await vault.secret(BIND_DN_SECRET)) ?? null;
  const loggedIn = (await vault.secret(BIND_PASSWORD_SECRET)) !== undefined;
  return { url: directory.url, bindDn: policyDn ?? keptDn, bindDnLocked: policyDn !== null, loggedIn };
}

/**
 * @throws ERR_USAGE (no bound directory in the policy, or no DN), ERR_POLICY_FORBIDS (another DN than
 *   the policy's), ERR_DIRECTORY_AUTH / _UNREACHABLE / _FAILURE from the check — nothing is kept then.
 */
export async function directoryLogin(
  policy: EffectivePolicy,
  home: string,
  vault: () => Promise<NamedSecrets>,
  /** The password is asked for only once the policy and the DN allow a login (no prompt for nothing). */
  login: { bindDn?: string | undefined; password: (bindDn: string) => Promise<string> },
): Promise<{ url: string; bindDn: string }> {
  const directory = await directoryFromPolicy(policy, { home });
  if (!directory) throw new CachetError('ERR_USAGE', 'the policy names no directory (ldapUrl and ldapBaseDn): there is nothing to log in to');
  if (directory.anonymous) throw new CachetError('ERR_USAGE', `the policy lets everyone search ${directory.url} anonymously: no password is needed`);
  const policyDn = policy.get('ldapBindDn') as string | null;
  const givenDn = login.bindDn?.trim() || undefined;
  if (policyDn && givenDn && givenDn !== policyDn) throw new CachetError('ERR_POLICY_FORBIDS', `the policy sets the bind DN to "${policyDn}"; another cannot be used`);
  const bindDn = givenDn ?? policyDn;
  if (!bindDn) throw new CachetError('ERR_USAGE', 'the policy leaves the bind DN to each user: give your bind DN');
  const password = await login.password(bindDn);
  if (password.length === 0) throw new CachetError('ERR_USAGE', 'the directory password is empty');
  // Kept only once the directory has accepted it: a typo must not be stored.
  const { bindCredentials: _fromVault, ...connection } = directory;
  await checkDirectoryAccess({ ...connection, bindDn, bindPassword: async () => password });
  const store = await vault();
  await store.setSecrets({ [BIND_DN_SECRET]: bindDn, [BIND_PASSWORD_SECRET]: password });
  return { url: directory.url, bindDn };
}

/** Forgets the kept DN and password; says whether a password was kept. */
export async function directoryLogout(vault: NamedSecrets): Promise<boolean> {
  const had = (await vault.secret(BIND_PASSWORD_SECRET)) !== undefined;
  await vault.setSecrets({ [BIND_PASSWORD_SECRET]: undefined, [BIND_DN_SECRET]: undefined });
  return had;
}
