/**
 * Apps enrolled to use the shared vault: `cachet vault enrol-app NAME` makes a random 256-bit token,
 * prints it once and keeps only its SHA-256 here, so reading this file does not let anyone act as an
 * app. (A plain hash suffices, unlike for passwords: the token is random, not guessable.)
 * `revoke-app` marks the app revoked; the running service reads this file on every request, so an
 * enrolment or revocation takes effect at once, without restarting it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CachetError } from '../../engine/errors.js';
import { writeFileAtomically } from '../atomic-file.js';
import { vaultServicePaths } from './paths.js';

interface AppRecord {
  tokenSha256: string;
  enrolledAt: string;
  revokedAt?: string;
}

interface Registry {
  apps: Record<string, AppRecord>;
}

export interface EnrolledApp {
  name: string;
  enrolledAt: string;
  revokedAt?: string;
}

/** App names appear in the audit log and on the command line: keep them plain. */
const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOKEN_PREFIX = 'cvt_';

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

async function readRegistry(home: string): Promise<Registry> {
  const path = vaultServicePaths(home).apps;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { apps: {} };
    throw new CachetError('ERR_INPUT_READ', `cannot read the list of enrolled apps ${path}`, { cause: error });
  }
  try {
    const parsed = JSON.parse(text) as Registry;
    if (parsed === null || typeof parsed.apps !== 'object') throw new Error('no apps map');
    return parsed;
  } catch (error) {
    throw new CachetError('ERR_VAULT_CORRUPT', `the list of enrolled apps ${path} is damaged; enrol the apps again`, { cause: error });
  }
}

function checkName(name: string): void {
  if (!APP_NAME.test(name)) throw new CachetError('ERR_USAGE', `"${name}" is not a usable app name: use letters, digits, ".", "_" or "-" (at most 64)`);
}

/** Enrols (or re-enrols, replacing its token) an app; returns the new token, shown once. */
export async function enrolApp(home: string, name: string): Promise<string> {
  checkName(name);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const registry = await readRegistry(home);
  registry.apps[name] = { tokenSha256: hashToken(token), enrolledAt: new Date().toISOString() };
  await writeFileAtomically(vaultServicePaths(home).apps, `${JSON.stringify(registry, null, 2)}\n`);
  return token;
}

/** @throws CachetError ERR_USAGE when no app of that name is enrolled. */
export async function revokeApp(home: string, name: string): Promise<void> {
  checkName(name);
  const registry = await readRegistry(home);
  const record = registry.apps[name];
  if (!record) throw new CachetError('ERR_USAGE', `no app named "${name}" is enrolled`, { details: { app: name } });
  if (record.revokedAt) return;
  registry.apps[name] = { ...record, revokedAt: new Date().toISOString() };
  await writeFileAtomically(vaultServicePaths(home).apps, `${JSON.stringify(registry, null, 2)}\n`);
}

export async function listApps(home: string): Promise<EnrolledApp[]> {
  return Object.entries((await readRegistry(home)).apps).map(([name, r]) => ({ name, enrolledAt: r.enrolledAt, ...(r.revokedAt ? { revokedAt: r.revokedAt } : {}) }));
}

/**
 * The name of the enrolled, unrevoked app holding `token`.
 * @throws CachetError ERR_VAULT_ACCESS_DENIED otherwise (details.app names a revoked app).
 */
export async function identifyApp(home: string, token: string | undefined): Promise<string> {
  if (!token) throw new CachetError('ERR_VAULT_ACCESS_DENIED', 'this app gave no enrolment token; the vault service answers only enrolled apps ("cachet vault enrol-app NAME")');
  const wanted = Buffer.from(hashToken(token), 'hex');
  for (const [name, record] of Object.entries((await readRegistry(home)).apps)) {
    const known = Buffer.from(record.tokenSha256, 'hex');
    if (known.length === wanted.length && timingSafeEqual(known, wanted)) {
      if (record.revokedAt) throw new CachetError('ERR_VAULT_ACCESS_DENIED', `the app "${name}" has been revoked from the vault; enrol it again to give it access`, { details: { app: name } });
      return name;
    }
  }
  throw new CachetError('ERR_VAULT_ACCESS_DENIED', 'this app is not enrolled with the vault service: its token is unknown ("cachet vault enrol-app NAME" gives a token)');
}
