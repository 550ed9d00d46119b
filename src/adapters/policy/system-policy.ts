/**
 * The system policy of a managed machine: /etc/cachet/policy.yaml, written by the administrator (root)
 * and read before everything else — its keys win over the home's policy, $CACHET_POLICY and every
 * user setting, so a user cannot escape it by setting an environment variable.
 *
 * Tests (and machines with the system policy elsewhere) may name another file with
 * $CACHET_SYSTEM_POLICY, but that is honoured only when /etc/cachet/policy.yaml does not exist and the
 * named file and its folder are owned by root and writable by no one else: on a managed machine it
 * changes nothing, and elsewhere it can only add a policy root wrote, never remove one.
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export const SYSTEM_POLICY_FILE = '/etc/cachet/policy.yaml';
export const SYSTEM_POLICY_OVERRIDE_ENV = 'CACHET_SYSTEM_POLICY';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function rootOwnedNotShared(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && info.uid === 0 && (info.mode & 0o022) === 0;
}

/** Which system policy file applies on this machine (it may not exist: then there is none). */
export async function systemPolicyFile(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const override = env[SYSTEM_POLICY_OVERRIDE_ENV];
  if (!override || (await exists(SYSTEM_POLICY_FILE))) return SYSTEM_POLICY_FILE;
  return (await rootOwnedNotShared(override)) && (await rootOwnedNotShared(dirname(override))) ? override : SYSTEM_POLICY_FILE;
}
