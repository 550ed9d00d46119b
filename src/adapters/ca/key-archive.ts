/**
 * Key archival and recovery, for encryption keys only (templates with `archivableKey`): losing an
 * encryption key loses every mail encrypted to it, so the CA may keep a copy — under a recovery key
 * that no single person can open. Never for signing keys: whoever recovered one could sign as its
 * owner; `archiveKey` refuses them.
 *
 *   ca/recovery.json   the recovery key: an RSA-3072 public key (RSA-OAEP-SHA-256), and its private key
 *                      encrypted once for every PAIR of named officers (AES-256-GCM under a key derived
 *                      from both officers' passphrases, each stretched by scrypt with its own salt):
 *                      any two officers acting together can open it, one alone cannot.
 *   ca/archive/SERIAL.json   an archived key: its PKCS#8 under a fresh AES-256-GCM key, that key wrapped
 *                      with the recovery public key.
 *
 * Recovery needs two different officers' passphrases; it is written to the audit log with both names.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, privateDecrypt, publicEncrypt, randomBytes, scrypt, constants, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CachetError } from '../../errors.js';
import { writeFileAtomically } from '../storage/atomic-file.js';
import { openFromBase64, sealToBase64 } from '../keys/aes-gcm-seal.js';
import type { CaStore } from './ca-store.js';
import { normaliseSerial } from './ca-store.js';
import type { CertificateTemplate } from './templates.js';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const generateKeyPairAsync = promisify(generateKeyPair);

/** scrypt cost for an officer's passphrase: N = 2^15, r = 8 (OWASP's minimum is 2^17 for logins; a
 *  recovery is rare, but two derivations run per attempt, so the cost is doubled in effect). */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
export const MIN_OFFICER_PASSPHRASE = 12;

interface Sealed { iv: string; tag: string; data: string }

interface RecoveryFile {
  version: 1;
  publicKey: string;
  officers: Array<{ name: string; salt: string }>;
  /** Key: the two officers' names, sorted, joined by "+". */
  shares: Record<string, Sealed>;
  createdAt: string;
}

interface ArchivedKey {
  version: 1;
  serial: string;
  email: string;
  wrappedKey: string;
  sealed: Sealed;
  archivedAt: string;
}

export interface Officer {
  name: string;
  passphrase: string;
}

/** The files keep the ciphertext as `data`. */
function seal(key: Buffer, plaintext: Buffer, aad: string): Sealed {
  const { iv, tag, ciphertext } = sealToBase64(key, plaintext, Buffer.from(aad));
  return { iv, tag, data: ciphertext };
}

function open(key: Buffer, sealed: Sealed, aad: string): Buffer | undefined {
  return openFromBase64(key, { iv: sealed.iv, tag: sealed.tag, ciphertext: sealed.data }, Buffer.from(aad));
}

const pairName = (a: string, b: string): string => [a, b].sort().join('+');

async function pairKey(first: { salt: string; passphrase: string; name: string }, second: { salt: string; passphrase: string; name: string }): Promise<Buffer> {
  const [a, b] = [first, second].sort((x, y) => x.name.localeCompare(y.name));
  const ka = await scryptAsync(a!.passphrase, Buffer.from(a!.salt, 'base64'), 32, SCRYPT);
  const kb = await scryptAsync(b!.passphrase, Buffer.from(b!.salt, 'base64'), 32, SCRYPT);
  // Both stretched passphrases go into the key: neither officer's alone determines it.
  return createHash('sha256').update('cachet recovery pair\u0000').update(ka).update(kb).digest();
}

const recoveryPath = (store: CaStore): string => join(store.directory, 'recovery.json');
const archivePath = (store: CaStore, serial: string): string => join(store.directory, 'archive', `${normaliseSerial(serial)}.json`);

async function readJson<T>(path: string, missing: () => CachetError): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing();
    throw new CachetError('ERR_INPUT_READ', `cannot read ${path}`, { cause: error });
  }
}

/**
 * Makes the recovery key for these officers (at least three named, so that losing one still leaves
 * a pair; two is allowed for a small organisation).
 * @throws CachetError ERR_CA_EXISTS (there is one), ERR_USAGE (fewer than two, a name twice, a short passphrase).
 */
export async function createRecoveryKey(store: CaStore, officers: Officer[], who: string): Promise<{ officers: string[] }> {
  await store.settings();
  if (await readFile(recoveryPath(store)).then(() => true, () => false)) throw new CachetError('ERR_CA_EXISTS', `this CA has a recovery key already (${recoveryPath(store)})`);
  if (officers.length < 2) throw new CachetError('ERR_USAGE', 'name at least two recovery officers: two of them must act together to recover a key');
  const names = officers.map((o) => o.name);
  if (new Set(names).size !== names.length) throw new CachetError('ERR_USAGE', 'each recovery officer is named once');
  for (const o of officers) {
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(o.name)) throw new CachetError('ERR_USAGE', `"${o.name}" is not an officer name (letters, digits, . _ @ -)`);
    if (o.passphrase.length < MIN_OFFICER_PASSPHRASE) throw new CachetError('ERR_USAGE', `${o.name}'s passphrase must have at least ${MIN_OFFICER_PASSPHRASE} characters`);
  }
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 3072 });
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const withSalt = officers.map((o) => ({ ...o, salt: randomBytes(16).toString('base64') }));
  const shares: Record<string, Sealed> = {};
  for (let i = 0; i < withSalt.length; i++) {
    for (let j = i + 1; j < withSalt.length; j++) {
      const name = pairName(withSalt[i]!.name, withSalt[j]!.name);
      shares[name] = seal(await pairKey(withSalt[i]!, withSalt[j]!), pkcs8, name);
    }
  }
  const file: RecoveryFile = { version: 1, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), officers: withSalt.map((o) => ({ name: o.name, salt: o.salt })), shares, createdAt: new Date().toISOString() };
  await writeFileAtomically(recoveryPath(store), `${JSON.stringify(file, null, 2)}\n`, 'the recovery key');
  await store.audit.append({ who, action: 'init', details: { recoveryOfficers: names } });
  return { officers: names };
}

/**
 * Whether a key of this template can be archived here, asked before a certificate is issued.
 * @throws CachetError ERR_POLICY_FORBIDS (a template whose keys may not be archived), ERR_KEY_NOT_FOUND (no recovery key).
 */
export async function checkArchivable(store: CaStore, template: CertificateTemplate): Promise<void> {
  if (!template.archivableKey) {
    throw new CachetError('ERR_POLICY_FORBIDS', `the template "${template.name}" does not allow key archival: only encryption keys (encryption-only) are archived — an archived signing key would let whoever recovers it sign as its owner`);
  }
  await readJson<RecoveryFile>(recoveryPath(store), () => new CachetError('ERR_KEY_NOT_FOUND', 'this CA has no recovery key: set one up with "cachet ca recovery-init --officer NAME:FILE …" first'));
}

/**
 * Archives an encryption key under the recovery key.
 * @throws CachetError ERR_POLICY_FORBIDS (a template whose keys may not be archived: every signing
 *   one), ERR_KEY_NOT_FOUND (no recovery key set up).
 */
export async function archiveKey(store: CaStore, template: CertificateTemplate, entry: { serial: string; email: string }, pkcs8: Uint8Array, who: string): Promise<void> {
  await checkArchivable(store, template);
  const recovery = await readJson<RecoveryFile>(recoveryPath(store), () => new CachetError('ERR_KEY_NOT_FOUND', 'this CA has no recovery key'));
  const key = randomBytes(32);
  const wrappedKey = publicEncrypt({ key: createPublicKey({ key: Buffer.from(recovery.publicKey, 'base64'), format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key);
  const archived: ArchivedKey = { version: 1, serial: entry.serial, email: entry.email, wrappedKey: wrappedKey.toString('base64'), sealed: seal(key, Buffer.from(pkcs8), entry.serial), archivedAt: new Date().toISOString() };
  await mkdir(join(store.directory, 'archive'), { recursive: true, mode: 0o700 });
  await writeFileAtomically(archivePath(store, entry.serial), `${JSON.stringify(archived, null, 2)}\n`, 'the archived key');
  await store.audit.append({ who, action: 'archive-key', serial: entry.serial, email: entry.email });
}

/**
 * Recovers an archived key with two officers' passphrases.
 * @throws CachetError ERR_USAGE (not two different officers, an unknown name), ERR_KEY_NOT_FOUND
 *   (nothing archived for the serial), ERR_VAULT_BAD_PASSPHRASE (a passphrase is wrong).
 */
export async function recoverKey(store: CaStore, serial: string, officers: [Officer, Officer], who: string): Promise<{ pkcs8: Uint8Array; email: string }> {
  const [first, second] = officers;
  if (first.name === second.name) throw new CachetError('ERR_USAGE', 'a recovery needs two DIFFERENT officers acting together');
  const recovery = await readJson<RecoveryFile>(recoveryPath(store), () => new CachetError('ERR_KEY_NOT_FOUND', 'this CA has no recovery key'));
  const archived = await readJson<ArchivedKey>(archivePath(store, serial), () => new CachetError('ERR_KEY_NOT_FOUND', `no key is archived for the certificate ${normaliseSerial(serial)}`, { details: { serial } }));
  const salts = new Map(recovery.officers.map((o) => [o.name, o.salt]));
  for (const o of officers) if (!salts.has(o.name)) throw new CachetError('ERR_USAGE', `${o.name} is not a recovery officer of this CA (they are ${[...salts.keys()].join(', ')})`);
  const name = pairName(first.name, second.name);
  const share = recovery.shares[name];
  if (!share) throw new CachetError('ERR_INTERNAL', `the recovery key has no share for ${name}`);
  const recoveryKey = open(await pairKey({ ...first, salt: salts.get(first.name)! }, { ...second, salt: salts.get(second.name)! }), share, name);
  if (!recoveryKey) {
    await store.audit.append({ who, action: 'recover-key', serial: archived.serial, email: archived.email, details: { officers: [first.name, second.name], outcome: 'wrong passphrase' } });
    throw new CachetError('ERR_VAULT_BAD_PASSPHRASE', `the passphrase of ${first.name} or of ${second.name} is wrong`);
  }
  const privateKey: KeyObject = createPrivateKey({ key: recoveryKey, format: 'der', type: 'pkcs8' });
  const key = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(archived.wrappedKey, 'base64'));
  const pkcs8 = open(key, archived.sealed, archived.serial);
  if (!pkcs8) throw new CachetError('ERR_VAULT_CORRUPT', `the archived key of ${archived.serial} is damaged`);
  await store.audit.append({ who, action: 'recover-key', serial: archived.serial, email: archived.email, details: { officers: [first.name, second.name] } });
  return { pkcs8: new Uint8Array(pkcs8), email: archived.email };
}
