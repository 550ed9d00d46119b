/**
 * Apps enrolled to use the shared vault: `cachet vault enrol-app NAME` makes a random 256-bit token,
 * prints it once and keeps only its SHA-256 here, so reading this file does not let anyone act as an
 * app. (A plain hash suffices, unlike for passwords: the token is random, not guessable.)
 * `revoke-app` marks the app revoked; the running service reads this file on every request, so an
 * enrolment or revocation takes effect at once, without restarting it.
 *
 * Each app has scopes, given at enrolment: "use" (list the credentials, sign, decrypt — the mail
 * client) and "deposit" (put credentials in — the identity-provider app). The service refuses an
 * operation outside the app's scopes.
 *
 * Writers (enrol, revoke) hold an O_EXCL lock file beside the registry while they read, change and
 * write it back, so that two runs at once cannot lose one's update; readers need no lock, as every
 * write replaces the file atomically.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CachetError } from '../../../errors.js';
import { writeFileAtomically } from '../../storage/atomic-file.js';
import { withFileLock } from '../../storage/file-lock.js';
import { vaultServicePaths } from './paths.js';

/** What an enrolled app may do: "use" = list, sign, decrypt, derive; "deposit" = add credentials. */
export type AppScope = 'use' | 'deposit';
export const APP_SCOPES: readonly AppScope[] = ['use', 'deposit'];
/** What `enrol-app` gives when no scope is named: the mail client's. */
export const DEFAULT_APP_SCOPES: readonly AppScope[] = ['use'];
/**
 * Scopes of an app enrolled before scopes existed. Compatibility: such an app could do everything, and
 * the identity-provider app enrolled then must keep depositing after an upgrade, so it keeps both.
 * (Safer would be "use" only, but it would silently break every existing identity-provider set-up;
 * re-enrolling an app with --scope narrows it.)
 */
const LEGACY_SCOPES: readonly AppScope[] = ['use', 'deposit'];

interface AppRecord {
  tokenSha256: string;
  enrolledAt: string;
  revokedAt?: string;
  /** Absent in registries written before scopes existed: see LEGACY_SCOPES. */
  scopes?: AppScope[];
}

interface Registry {
  apps: Record<string, AppRecord>;
}

export interface EnrolledApp {
  name: string;
  enrolledAt: string;
  revokedAt?: string;
  scopes: AppScope[];
}

/** An app the service has recognised by its token. */
export interface IdentifiedApp {
  name: string;
  scopes: AppScope[];
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

function scopesOf(record: AppRecord): AppScope[] {
  if (!Array.isArray(record.scopes)) return [...LEGACY_SCOPES];
  // An unknown word in the file grants nothing.
  return APP_SCOPES.filter((s) => record.scopes!.includes(s));
}

/**
 * "use", "deposit", "use,deposit" (as `--scope` takes it) → the scopes, in canonical order.
 * @throws CachetError ERR_USAGE for an empty list or an unknown word.
 */
export function parseAppScopes(text: string): AppScope[] {
  const words = text.split(',').map((w) => w.trim()).filter((w) => w.length > 0);
  const unknown = words.filter((w) => !(APP_SCOPES as readonly string[]).includes(w));
  if (words.length === 0 || unknown.length > 0) {
    throw new CachetError('ERR_USAGE', `"${text}" is not a scope list: use "use", "deposit" or "use,deposit"`);
  }
  return APP_SCOPES.filter((s) => words.includes(s));
}

/** Reads, changes and writes back the registry under its lock file. */
async function updateRegistry<T>(home: string, change: (registry: Registry) => T): Promise<T> {
  const path = vaultServicePaths(home).apps;
  return withFileLock(`${path}.lock`, async () => {
    const registry = await readRegistry(home);
    const result = change(registry);
    await writeFileAtomically(path, `${JSON.stringify(registry, null, 2)}\n`);
    return result;
  }, { what: `the list of enrolled apps ${path}` });
}

/**
 * Enrols (or re-enrols, replacing its token and scopes) an app; returns the new token, shown once.
 * @param scopes what the app may do; default "use" only (list, sign, decrypt), the mail client's.
 */
export async function enrolApp(home: string, name: string, scopes: readonly AppScope[] = DEFAULT_APP_SCOPES): Promise<string> {
  checkName(name);
  const granted = APP_SCOPES.filter((s) => scopes.includes(s));
  if (granted.length === 0 || granted.length !== new Set(scopes).size) throw new CachetError('ERR_USAGE', 'give an app at least one scope: "use", "deposit" or both');
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  await updateRegistry(home, (registry) => {
    registry.apps[name] = { tokenSha256: hashToken(token), enrolledAt: new Date().toISOString(), scopes: granted };
  });
  return token;
}

/** @throws CachetError ERR_USAGE when no app of that name is enrolled. */
export async function revokeApp(home: string, name: string): Promise<void> {
  checkName(name);
  // The check is made under the lock, on the registry as it is then (not as an earlier read saw it).
  await updateRegistry(home, (registry) => {
    const record = registry.apps[name];
    if (!record) throw new CachetError('ERR_USAGE', `no app named "${name}" is enrolled`, { details: { app: name } });
    if (!record.revokedAt) registry.apps[name] = { ...record, revokedAt: new Date().toISOString() };
  });
}

export async function listApps(home: string): Promise<EnrolledApp[]> {
  return Object.entries((await readRegistry(home)).apps).map(([name, r]) => ({ name, enrolledAt: r.enrolledAt, ...(r.revokedAt ? { revokedAt: r.revokedAt } : {}), scopes: scopesOf(r) }));
}

/**
 * @throws CachetError ERR_VAULT_ACCESS_DENIED naming the missing scope (details.app, details.scope).
 */
export function requireScope(app: IdentifiedApp, scope: AppScope, operation: string): void {
  if (app.scopes.includes(scope)) return;
  throw new CachetError(
    'ERR_VAULT_ACCESS_DENIED',
    `the app "${app.name}" may not ${operation}: that needs the scope "${scope}", and it was enrolled with ${app.scopes.map((s) => `"${s}"`).join(', ')} only; to allow it, enrol it again with a --scope that includes "${scope}"`,
    { details: { app: app.name, scope, scopes: app.scopes } },
  );
}

/**
 * The enrolled, unrevoked app holding `token`, with its scopes.
 * @throws CachetError ERR_VAULT_ACCESS_DENIED otherwise (details.app names a revoked app).
 */
export async function identifyApp(home: string, token: string | undefined): Promise<IdentifiedApp> {
  if (!token) throw new CachetError('ERR_VAULT_ACCESS_DENIED', 'this app gave no enrolment token; the vault service answers only enrolled apps ("cachet vault enrol-app NAME")');
  const wanted = Buffer.from(hashToken(token), 'hex');
  for (const [name, record] of Object.entries((await readRegistry(home)).apps)) {
    const known = Buffer.from(record.tokenSha256, 'hex');
    if (known.length === wanted.length && timingSafeEqual(known, wanted)) {
      if (record.revokedAt) throw new CachetError('ERR_VAULT_ACCESS_DENIED', `the app "${name}" has been revoked from the vault; enrol it again to give it access`, { details: { app: name } });
      return { name, scopes: scopesOf(record) };
    }
  }
  throw new CachetError('ERR_VAULT_ACCESS_DENIED', 'this app is not enrolled with the vault service: its token is unknown ("cachet vault enrol-app NAME" gives a token)');
}
