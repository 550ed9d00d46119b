/**
 * The users of one Cachet home. Each has a directory of their own under $CACHET_HOME/users/<address>/
 * holding their credentials (vault), address book, settings and Maildir; the home's root holds what the
 * organisation shares (the admin's policy, trusted roots, the CA). Mail between local users is
 * delivered straight into the recipient's Maildir: the embedded default needs no server.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CachetError, isCachetError } from '../errors.js';
import { openFileCredentialStore } from '../adapters/keys/file-credential-store.js';
import { VAULT_FILE_NAME } from '../adapters/keys/open-store.js';
import { writeFileAtomically } from '../adapters/storage/atomic-file.js';
import { Maildir } from '../adapters/mail/maildir.js';
import { FOLDERS, type Mailbox } from '../adapters/mail/mailbox.js';
import { normaliseAddress, parseAddressList } from '../engine/smime/open.js';

export interface LocalUser {
  address: string;
  name: string;
  /** The user's own directory: their CACHET_HOME for credentials, address book and settings. */
  dir: string;
  /** Where the user reads mail: the local Maildir, or an IMAP account (account.json). */
  mailbox: Mailbox;
  /** The local Maildir: the Outbox lives here, and local users deliver here. */
  maildir: Maildir;
}

export function usersRoot(home: string): string {
  return join(home, 'users');
}

export function checkAddress(address: string): string {
  const [parsed] = parseAddressList(address);
  if (!parsed || parseAddressList(address).length !== 1) throw new CachetError('ERR_USAGE', `"${address}" is not an e-mail address`);
  return parsed;
}

function userOf(home: string, address: string, name: string): LocalUser {
  const dir = join(usersRoot(home), address);
  const maildir = new Maildir(join(dir, 'mail'));
  return { address, name, dir, mailbox: maildir, maildir };
}

export async function listUsers(home: string): Promise<LocalUser[]> {
  let names: string[] = [];
  try {
    names = await readdir(usersRoot(home));
  } catch {
    return [];
  }
  const users: LocalUser[] = [];
  for (const address of names.sort()) {
    try {
      const profile = JSON.parse(await readFile(join(usersRoot(home), address, 'profile.json'), 'utf8')) as { name?: string };
      users.push(userOf(home, address, profile.name ?? address));
    } catch {
      // not a user directory
    }
  }
  return users;
}

export async function addUser(home: string, address: string, name?: string): Promise<LocalUser> {
  const normalised = checkAddress(address);
  const user = userOf(home, normalised, name ?? normalised);
  await mkdir(user.dir, { recursive: true, mode: 0o700 });
  await writeFileAtomically(join(user.dir, 'profile.json'), `${JSON.stringify({ address: normalised, name: user.name }, null, 2)}\n`, 'the user profile');
  for (const folder of FOLDERS) await user.maildir.ensure(folder);
  return user;
}

/** The local user with this address, if any. */
export async function findUser(home: string, address: string): Promise<LocalUser | undefined> {
  const wanted = normaliseAddress(address);
  return (await listUsers(home)).find((u) => u.address === wanted);
}

/**
 * Who is acting: --as, else $CACHET_USER, else the only user of the home.
 * @throws CachetError ERR_USAGE naming the users when it is ambiguous or unknown.
 */
export async function currentUser(home: string, explicit: string | undefined): Promise<LocalUser> {
  const users = await listUsers(home);
  if (explicit) {
    const user = users.find((u) => u.address === normaliseAddress(explicit));
    if (!user) throw new CachetError('ERR_USAGE', `there is no user ${explicit} in this Cachet home${users.length ? ` (users: ${users.map((u) => u.address).join(', ')})` : '; add one with "cachet account add ADDRESS"'}`);
    return user;
  }
  if (users.length === 1) return users[0]!;
  if (users.length === 0) throw new CachetError('ERR_USAGE', 'this Cachet home has no user yet; add one with "cachet account add ADDRESS"');
  throw new CachetError('ERR_USAGE', `say which user you are with --as or CACHET_USER (users: ${users.map((u) => u.address).join(', ')})`);
}

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, length: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const LOGIN_KDF = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/** Sets the password the user signs in to the web client with (stored as a scrypt hash). */
export async function setLoginPassword(user: LocalUser, password: string): Promise<void> {
  if (password.length < 8) throw new CachetError('ERR_USAGE', 'a password needs at least 8 characters');
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, LOGIN_KDF);
  // Whole or not at all: a half-written login file would lock the user out.
  await writeFileAtomically(join(user.dir, 'login.json'), `${JSON.stringify({ salt: salt.toString('base64'), hash: hash.toString('base64'), N: LOGIN_KDF.N })}\n`, 'the login file');
}

/** A stored hash no password matches, checked when a user has none, so both cases take the same work. */
const NO_LOGIN = { salt: randomBytes(16).toString('base64'), hash: randomBytes(32).toString('base64') };

async function readLogin(user: LocalUser | undefined): Promise<{ salt: string; hash: string } | undefined> {
  if (!user) return undefined;
  try {
    return JSON.parse(await readFile(join(user.dir, 'login.json'), 'utf8')) as { salt: string; hash: string };
  } catch {
    return undefined;
  }
}

export async function checkLoginPassword(user: LocalUser | undefined, password: string): Promise<boolean> {
  const found = await readLogin(user);
  // An unknown user, or one without a password, costs the same scrypt as a known one: the answer's
  // time does not tell a guesser which addresses exist.
  const stored = found ?? NO_LOGIN;
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await scrypt(password, Buffer.from(stored.salt, 'base64'), expected.length, LOGIN_KDF);
  return found !== undefined && actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The user whose web password this is, or undefined; unknown users take the same time as known ones. */
export async function verifyLocalLogin(home: string, address: string, password: string): Promise<LocalUser | undefined> {
  const user = await findUser(home, address).catch(() => undefined);
  return (await checkLoginPassword(user, password)) ? user : undefined;
}

/**
 * Changes a user's web password, checking the current one first. Under `cachet web` the web password
 * is also their vault's passphrase, so the vault is re-locked with the new one first (a vault left on
 * the old one would not open at the next sign-in); a vault locked with something else (under `cachet
 * server`, the server's wrapped key) is left as it is. Returns whether the vault followed.
 * @throws CachetError ERR_VAULT_BAD_PASSPHRASE when the current password is wrong; ERR_USAGE when the new one is short.
 */
export async function changeLoginPassword(user: LocalUser, current: string, next: string): Promise<{ vaultChanged: boolean }> {
  if (next.length < 8) throw new CachetError('ERR_USAGE', 'a password needs at least 8 characters');
  if (!(await checkLoginPassword(user, current))) throw new CachetError('ERR_VAULT_BAD_PASSPHRASE', `the current web password of ${user.address} is wrong; nothing was changed`);
  const vaultPath = join(user.dir, VAULT_FILE_NAME);
  let vaultChanged = false;
  try {
    const vault = await openFileCredentialStore(vaultPath, current);
    await vault.changePassphrase(next);
    vaultChanged = true;
  } catch (error) {
    if (!isCachetError(error, 'ERR_VAULT_NOT_FOUND') && !isCachetError(error, 'ERR_VAULT_BAD_PASSPHRASE')) throw error;
  }
  await setLoginPassword(user, next);
  return { vaultChanged };
}
