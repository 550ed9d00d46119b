/**
 * The directory the admin's policy names (server, base DN, StartTLS, TLS CA, timeouts, size limit,
 * anonymous or bound access), for every part that looks recipients up: the CLI's `lookup`, sending
 * from the CLI and from the web client.
 *
 * Bound access: the policy gives the bind DN (or leaves each user to give their own), and the password
 * is kept in the user's credential vault as a named secret — never in the policy, never in a plain
 * file. `cachet directory login` checks and stores it; it is read only when a bind actually happens.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { CachetError, isCachetError } from '../../errors.js';
import type { EffectivePolicy } from '../policy/policy.js';
import type { DirectoryConfig } from './ldap-lookup.js';
import type { NamedSecrets } from '../keys/credential-store.js';

/** The vault secret names under which the bind credentials are kept. */
export const BIND_PASSWORD_SECRET = 'ldap-bind-password';
export const BIND_DN_SECRET = 'ldap-bind-dn';

export interface PolicyDirectoryOptions {
  /** The organisation's home, against which a relative ldapTlsCaFile is read. */
  home: string;
  /** Opens the user's vault, only when a bind needs its credentials. */
  secrets?: () => Promise<NamedSecrets>;
}

function loginHint(url: string): string {
  return `no password for the directory ${url} is kept in your credential vault: run "cachet directory login" first`;
}

/**
 * The directory named by the policy, or undefined when the policy names none.
 * @throws ERR_INPUT_READ when the policy's TLS CA file cannot be read. The bind credentials are read
 *   only when a bind happens (ERR_DIRECTORY_AUTH then, when none are kept).
 */
export async function directoryFromPolicy(policy: EffectivePolicy, options: PolicyDirectoryOptions): Promise<DirectoryConfig | undefined> {
  const url = policy.get('ldapUrl') as string | null;
  const baseDn = policy.get('ldapBaseDn') as string | null;
  if (!url || !baseDn) return undefined;
  const caFile = policy.get('ldapTlsCaFile') as string | null;
  let tlsCa: Buffer | undefined;
  if (caFile) {
    const path = isAbsolute(caFile) ? caFile : join(options.home, caFile);
    try {
      tlsCa = await readFile(path);
    } catch (error) {
      throw new CachetError('ERR_INPUT_READ', `cannot read the directory's TLS CA file ${path} named by the policy (ldapTlsCaFile)`, { cause: error, details: { file: path } });
    }
  }
  const common: DirectoryConfig = {
    url,
    baseDn,
    anonymous: policy.boolean('ldapAnonymous'),
    timeoutMs: policy.get('ldapTimeoutMs') as number,
    sizeLimit: policy.get('ldapSizeLimit') as number,
    ...(policy.boolean('ldapStartTls') ? { startTls: true } : {}),
    ...(tlsCa ? { tlsCa } : {}),
  };
  if (common.anonymous) return common;
  const policyDn = policy.get('ldapBindDn') as string | null;
  return {
    ...common,
    ...(policyDn ? { bindDn: policyDn } : {}),
    bindCredentials: async () => {
      if (!options.secrets) throw new CachetError('ERR_DIRECTORY_AUTH', loginHint(url), { details: { url } });
      let vault: NamedSecrets;
      try {
        vault = await options.secrets();
      } catch (error) {
        if (isCachetError(error, 'ERR_VAULT_NOT_FOUND')) throw new CachetError('ERR_DIRECTORY_AUTH', loginHint(url), { cause: error, details: { url } });
        throw error;
      }
      // Without a DN in the policy, each user binds as themselves: their DN is kept beside the password.
      const bindDn = policyDn ?? (await vault.secret(BIND_DN_SECRET));
      const password = await vault.secret(BIND_PASSWORD_SECRET);
      if (!bindDn || password === undefined) throw new CachetError('ERR_DIRECTORY_AUTH', loginHint(url), { details: { url } });
      return { bindDn, password };
    },
  };
}
