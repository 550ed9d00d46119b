/**
 * How apps find the running vault service: it writes $CACHET_HOME/vault-service.json (0600) when it
 * starts and removes it when it stops. The file names the Unix socket (which may sit outside the
 * home when the home's path is too long for a socket address) or the TLS address with the exact
 * certificate the service presents (apps pin it), and the owner's control token, which the user's own
 * `vault unlock|lock|passphrase` commands show to prove they are the owner (needed over TCP, where
 * file permissions do not protect the port).
 */
import { readFile, rm } from 'node:fs/promises';
import { CachetError } from '../../../errors.js';
import { writeFileAtomically } from '../../storage/atomic-file.js';
import { vaultServicePaths } from './paths.js';

export type VaultEndpoint =
  | { transport: 'unix'; pid: number; socket: string; control: string }
  | { transport: 'tls'; pid: number; host: string; port: number; certificatePem: string; control: string };

export function notRunning(home: string, why = 'it is not running'): CachetError {
  return new CachetError('ERR_VAULT_UNREACHABLE', `the vault service for ${home} cannot be reached (${why}): start it with "cachet vault serve"`, { details: { home } });
}

/** @throws CachetError ERR_VAULT_UNREACHABLE when no service has announced itself. */
export async function readEndpoint(home: string): Promise<VaultEndpoint> {
  let text: string;
  try {
    text = await readFile(vaultServicePaths(home).endpoint, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notRunning(home);
    throw new CachetError('ERR_INPUT_READ', `cannot read ${vaultServicePaths(home).endpoint}`, { cause: error });
  }
  try {
    const parsed = JSON.parse(text) as VaultEndpoint;
    if (parsed.transport !== 'unix' && parsed.transport !== 'tls') throw new Error('unknown transport');
    return parsed;
  } catch {
    throw notRunning(home, 'its endpoint file is damaged');
  }
}

export async function writeEndpoint(home: string, endpoint: VaultEndpoint): Promise<void> {
  await writeFileAtomically(vaultServicePaths(home).endpoint, `${JSON.stringify(endpoint)}\n`);
}

/** Removes the endpoint file if it is still this process's (a newer service may have replaced it). */
export async function removeEndpoint(home: string, pid: number): Promise<void> {
  try {
    const current = JSON.parse(await readFile(vaultServicePaths(home).endpoint, 'utf8')) as VaultEndpoint;
    if (current.pid !== pid) return;
  } catch {
    return;
  }
  await rm(vaultServicePaths(home).endpoint, { force: true });
}
