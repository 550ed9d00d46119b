/**
 * What the `cachet ca …` commands share: where the CA lives and how its secrets are read — the CA
 * passphrase (--passphrase-file, else $CACHET_CA_PASSPHRASE, else a prompt) for keys in the CA vault
 * or key files, the token PIN (--pin-file, else $CACHET_TOKEN_PIN, else a prompt) for keys on a
 * PKCS#11 token; never argv, and each asked only when a key needs it.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CachetError } from '../../../errors.js';
import { smtpSettings } from '../../../adapters/ca/distribution-mail.js';
import { findUser, listUsers } from '../../../use-cases/users.js';
import type { SmtpSettings } from '../../../adapters/mail/transport.js';
import type { DirectoryTarget } from '../../../adapters/ca/publish.js';
import { directoryFromPolicy } from '../../../adapters/directory/policy-directory.js';
import { loadEffectivePolicy } from '../../../adapters/policy/policy.js';
import { cachetHome } from '../trust.js';
import { writeFileAtomically } from '../../../adapters/storage/atomic-file.js';
import { CaStore, type CaKeyPair } from '../../../adapters/ca/ca-store.js';
import { CaUnlock } from '../../../adapters/ca/ca-unlock.js';
import { actorFrom } from '../../../adapters/ca/audit-log.js';
import type { CliContext } from '../context.js';
import { readSecret } from '../secrets.js';

export function caStore(context: CliContext): CaStore {
  return CaStore.fromEnv(context.env);
}

export async function caPassphrase(file: string | undefined, context: CliContext): Promise<string> {
  return readSecret({ file: file === undefined ? undefined : resolve(context.cwd, file), envVar: 'CACHET_CA_PASSPHRASE', promptLabel: 'CA passphrase' }, context);
}

/** The same variable as the token key source's (src/adapters/keys/key-source.ts). */
export const TOKEN_PIN_ENV = 'CACHET_TOKEN_PIN';

/** The options every command that uses a CA key takes. */
export const CA_SECRET_OPTIONS = {
  'passphrase-file': { type: 'string' },
  'pin-file': { type: 'string' },
} as const;

/** Lazily reads the CA passphrase and the token PIN, each only if a CA key needs it. Close it after use. */
export function caUnlock(values: { 'passphrase-file'?: string | undefined; 'pin-file'?: string | undefined }, context: CliContext): CaUnlock {
  return new CaUnlock({
    passphrase: () => caPassphrase(values['passphrase-file'], context),
    pin: () => readSecret({ file: values['pin-file'] === undefined ? undefined : resolve(context.cwd, values['pin-file']), envVar: TOKEN_PIN_ENV, promptLabel: "PIN of the CA's token" }, context),
  });
}

export async function caIssuer(store: CaStore, unlock: CaUnlock): Promise<CaKeyPair> {
  await store.settings(); // ERR_CA_NOT_INITIALISED before asking for a passphrase
  return store.issuer(unlock);
}

/** Runs `action` with a CaUnlock for these options, and logs out of the token afterwards. */
export async function withCaUnlock<T>(values: { 'passphrase-file'?: string | undefined; 'pin-file'?: string | undefined }, context: CliContext, action: (unlock: CaUnlock) => Promise<T>): Promise<T> {
  const unlock = caUnlock(values, context);
  try {
    return await action(unlock);
  } finally {
    unlock.close();
  }
}

/**
 * Writes a whole output file atomically and synced (a PKCS#12 export may hold the only copy of a new
 * private key), mode 0600 for secrets.
 */
export async function writeOutputFile(path: string, data: Uint8Array | string, context: CliContext, mode = 0o600): Promise<string> {
  const target = resolve(context.cwd, path);
  await writeFileAtomically(target, data, '', mode);
  return target;
}

export function inputPath(path: string, context: CliContext): string {
  return resolve(context.cwd, path);
}

/** Who acts, for the CA's audit log: $CACHET_ADMIN, else the OS user. */
export function caActor(context: CliContext): string {
  return actorFrom(context.env);
}

/** How the CA commands that mail (distribute, bulk issue) reach an SMTP server. */
export const SMTP_OPTIONS = {
  'smtp-url': { type: 'string' },
  'smtp-user': { type: 'string' },
  'smtp-password-file': { type: 'string' },
  'smtp-tls-ca': { type: 'string' },
  'smtp-require-tls': { type: 'boolean' },
} as const;

type SmtpValues = { 'smtp-url'?: string | undefined; 'smtp-user'?: string | undefined; 'smtp-password-file'?: string | undefined; 'smtp-tls-ca'?: string | undefined; 'smtp-require-tls'?: boolean | undefined };

/** The SMTP settings of --smtp-url and its companions; the password from a file, $CACHET_SMTP_PASSWORD or a prompt. */
export async function smtpSettingsFrom(values: SmtpValues, context: CliContext): Promise<SmtpSettings> {
  const user = values['smtp-user'];
  const password = user
    ? await readSecret({ file: values['smtp-password-file'] === undefined ? undefined : inputPath(values['smtp-password-file'], context), envVar: 'CACHET_SMTP_PASSWORD', promptLabel: `SMTP password for ${user}` }, context)
    : undefined;
  const ca = values['smtp-tls-ca'] ? await readFile(inputPath(values['smtp-tls-ca'], context), 'utf8') : undefined;
  return smtpSettings(values['smtp-url']!, { ...(user ? { user, password: password ?? '' } : {}), ...(ca ? { ca } : {}), ...(values['smtp-require-tls'] ? { requireTls: true } : {}) });
}

/**
 * Delivers into the INBOX of a local user of this Cachet home (the embedded default: no server).
 * @throws CachetError ERR_USAGE when the recipient is not a local user, naming the ones there are.
 */
export async function deliverToLocalUser(home: string, to: string, message: Uint8Array): Promise<string> {
  const user = await findUser(home, to);
  if (!user) {
    const users = (await listUsers(home)).map((u) => u.address);
    throw new CachetError('ERR_USAGE', `${to} is not a local user of ${home}${users.length ? ` (local users: ${users.join(', ')})` : ''}; send by SMTP with --smtp-url instead`, { details: { to } });
  }
  const id = await user.maildir.deliver('INBOX', message);
  return join(user.maildir.root, 'INBOX', 'new', id);
}

/** How the CA commands that write to the directory (publish, approve --publish) reach it. */
export const DIRECTORY_OPTIONS = {
  'ldap-url': { type: 'string' },
  'base-dn': { type: 'string' },
  'bind-dn': { type: 'string' },
  'bind-password-file': { type: 'string' },
  starttls: { type: 'boolean' },
  'tls-ca': { type: 'string' },
} as const;

type DirectoryValues = { 'ldap-url'?: string | undefined; 'base-dn'?: string | undefined; 'bind-dn'?: string | undefined; 'bind-password-file'?: string | undefined; starttls?: boolean | undefined; 'tls-ca'?: string | undefined };

/**
 * The directory to write to: the options, else $CACHET_LDAP_*, else the one the organisation's policy
 * names (where lookups search, with its StartTLS and TLS CA); the bind password from a file,
 * $CACHET_LDAP_PASSWORD or a prompt.
 */
export async function directoryTargetFrom(values: DirectoryValues, context: CliContext, options: { needsBaseDn?: boolean } = {}): Promise<DirectoryTarget> {
  const home = cachetHome(context);
  const fromPolicy = values['ldap-url'] ?? context.env.CACHET_LDAP_URL
    ? undefined
    : await directoryFromPolicy(await loadEffectivePolicy({ home, policyFile: context.env.CACHET_POLICY }), { home });
  const url = values['ldap-url'] ?? context.env.CACHET_LDAP_URL ?? fromPolicy?.url;
  const baseDn = values['base-dn'] ?? context.env.CACHET_LDAP_BASE_DN ?? fromPolicy?.baseDn;
  if (!url) throw new CachetError('ERR_USAGE', 'give the directory with --ldap-url (or set CACHET_LDAP_URL, or ldapUrl in the policy)');
  if (!baseDn && options.needsBaseDn !== false) throw new CachetError('ERR_USAGE', 'give the search base with --base-dn (or set CACHET_LDAP_BASE_DN)');
  const bindDn = values['bind-dn'] ?? context.env.CACHET_LDAP_BIND_DN;
  const bindPassword = bindDn
    ? await readSecret({ file: values['bind-password-file'] === undefined ? undefined : inputPath(values['bind-password-file'], context), envVar: 'CACHET_LDAP_PASSWORD', promptLabel: `Password for ${bindDn}` }, context)
    : undefined;
  const tlsCa = values['tls-ca'] ? await readFile(inputPath(values['tls-ca'], context)) : fromPolicy?.tlsCa;
  return {
    url,
    baseDn: baseDn ?? '',
    ...(bindDn ? { bindDn, bindPassword: bindPassword ?? '' } : {}),
    ...(values.starttls || fromPolicy?.startTls ? { startTls: true } : {}),
    ...(tlsCa ? { tls: { ca: tlsCa } } : {}),
  };
}

/** `--officer NAME:FILE`: a recovery officer and the file holding their passphrase. */
export async function officerFrom(value: string, context: CliContext): Promise<{ name: string; passphrase: string }> {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new CachetError('ERR_USAGE', `--officer takes NAME:FILE (the officer's name and the file with their passphrase), not "${value}"`);
  const file = inputPath(value.slice(colon + 1), context);
  let passphrase: string;
  try {
    passphrase = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new CachetError('ERR_INPUT_READ', `cannot read the passphrase file of ${value.slice(0, colon)}`, { cause: error, details: { file } });
  }
  return { name: value.slice(0, colon), passphrase };
}
