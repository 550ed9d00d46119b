/**
 * The user's credentials in one encrypted file, $CACHET_HOME/credentials.vault: the embedded default
 * behind the {@link CredentialStore} interface, needing no server.
 *
 * Layout: "CACHETV1" · uint32 header length · header (JSON) · AES-256-GCM ciphertext · 16-byte tag.
 * The header names the KDF and its parameters (scrypt N, r, p, salt), the cipher and the IV, plus a
 * passphrase verifier; it is authenticated as the cipher's additional data, so a changed parameter
 * cannot go unnoticed. Everything else — certificates, metadata and private keys — is inside the
 * ciphertext: a private key is never written in clear, and even the list of identities stays private.
 *
 * Why a verifier beside the GCM tag: a failed tag alone cannot tell "wrong passphrase" from "damaged
 * file", and the user must be told which. It reveals nothing the tag does not (both let an attacker
 * test a guess), and costs the same scrypt per guess.
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, randomBytes, scrypt as scryptCallback, timingSafeEqual, X509Certificate, type ScryptOptions } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CachetError } from '../../errors.js';
import { writeFileAtomically } from '../storage/atomic-file.js';
import { withFileLock } from '../storage/file-lock.js';
import { openAes256Gcm, sealAes256Gcm } from './aes-gcm-seal.js';
import type { PrivateKeyHandle } from '../../engine/keys.js';
import { softwareKey } from '../../engine/software-key.js';
import { certificateEmails, certificateSubject, subjectPublicKeyInfo } from '../../engine/cms/cert-id.js';
import { certificateFingerprint } from '../../engine/pki/certificate-info.js';
import { checkAddition, othersAfterAddition, othersAfterRemoval, servesUse, type CredentialStore, type NamedSecrets, type NewCredential, type StoredCredential } from './credential-store.js';

const MAGIC = Buffer.from('CACHETV1', 'latin1');

/** scrypt cost for new vaults (RFC 7914 §2: N=2^15, r=8, p=1 is ~100 ms and 32 MiB). */
export const VAULT_KDF = { N: 2 ** 15, r: 8, p: 1 } as const;

/** What a vault file may ask of us: a hostile header must not make us allocate gigabytes. */
export const VAULT_LIMITS = {
  maxFileBytes: 64 * 1024 * 1024,
  maxHeaderBytes: 4096,
  minN: 2 ** 14,
  maxN: 2 ** 20,
  maxR: 16,
  maxP: 4,
} as const;

interface VaultHeader {
  format: 'cachet-credentials';
  version: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: 'aes-256-gcm';
  iv: string;
  /** HMAC-SHA256(verifier key, "cachet vault passphrase"), base64. */
  verifier: string;
}

/** A credential as the vault file keeps it: DER fields and the PKCS#8 key in base64. */
type VaultRecord = Omit<StoredCredential, 'certificate' | 'chain'> & { certificate: string; chain: string[]; privateKeyPkcs8: string };

interface VaultContents {
  credentials: VaultRecord[];
  /** Raised by every write, inside the authenticated ciphertext; compared with the rollback witnesses
   *  (see readSeenGeneration) so that replacing the whole file by an older copy is noticed. */
  generation?: number;
  /** Random, chosen when the vault is first written and kept: which vault the outside witness speaks of. */
  vaultId?: string;
  /** Small named secrets that belong with the keys (the directory bind password), encrypted alike. */
  secrets?: Record<string, string>;
}

/**
 * Wrong passphrases, counted in a small file beside the vault so that a loop of fresh processes cannot
 * guess faster than one: after n failures the next try waits 250 ms · 2^(n-1), at most 15 s.
 */
const failuresPath = (path: string) => `${path}.failures`;

async function waitForBackoff(path: string): Promise<void> {
  let state: { count: number; last: number };
  try {
    state = JSON.parse(await readFile(failuresPath(path), 'utf8')) as { count: number; last: number };
  } catch {
    return;
  }
  if (!Number.isSafeInteger(state.count) || state.count <= 0 || typeof state.last !== 'number') return;
  const delay = Math.min(250 * 2 ** (state.count - 1), 15_000) - (Date.now() - state.last);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(delay, 15_000)));
}

async function recordFailure(path: string): Promise<void> {
  let count = 0;
  try {
    count = (JSON.parse(await readFile(failuresPath(path), 'utf8')) as { count: number }).count || 0;
  } catch {
    // first failure
  }
  await writeAtomically(failuresPath(path), Buffer.from(JSON.stringify({ count: count + 1, last: Date.now() }))).catch(() => undefined);
}

/**
 * Where the second rollback witness of every vault is kept: outside any Cachet home, in the OS user's
 * state directory ($CACHET_STATE_DIR, or $XDG_STATE_HOME/cachet, or ~/.local/state/cachet), so that a
 * home restored from an old copy, or a vault whose `.generation` file was deleted, is still noticed.
 */
export function rollbackWitnessDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.CACHET_STATE_DIR || join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'cachet');
  return join(base, 'vault-generations');
}

/**
 * The two witnesses of the highest generation written here (not secret): `<vault>.generation` beside
 * the vault, and a file named after the vault's absolute path in the witness directory, which also
 * names the vault (its vaultId) so that a new vault made where an old one was is not taken for it.
 */
function witnessFiles(path: string, witnessDir: string): { beside: string; outside: string } {
  return { beside: `${path}.generation`, outside: join(witnessDir, createHash('sha256').update(resolve(path)).digest('hex').slice(0, 40)) };
}

/** The highest generation either witness has seen written for this vault; 0 when neither says. */
async function readSeenGeneration(files: { beside: string; outside: string }, vaultId: string | undefined): Promise<number> {
  let seen = 0;
  try {
    const value = Number.parseInt((await readFile(files.beside, 'utf8')).trim(), 10);
    if (Number.isSafeInteger(value) && value >= 0) seen = value;
  } catch {
    // absent: the outside witness may still know
  }
  try {
    const outside = JSON.parse(await readFile(files.outside, 'utf8')) as { vaultId?: unknown; generation?: unknown };
    // A file from before vault ids (none inside) is compared anyway: it can only be an older copy.
    const same = vaultId === undefined || outside.vaultId === vaultId;
    if (same && typeof outside.generation === 'number' && Number.isSafeInteger(outside.generation)) seen = Math.max(seen, outside.generation);
  } catch {
    // absent or unreadable: the witness beside the vault decides
  }
  return seen;
}

/** Records the generation just written in both witnesses (the outside one where its directory can be made). */
async function writeSeenGeneration(files: { beside: string; outside: string }, vaultId: string, generation: number): Promise<void> {
  await writeAtomically(files.beside, Buffer.from(`${generation}\n`));
  try {
    await mkdir(join(files.outside, '..'), { recursive: true, mode: 0o700 });
    await writeAtomically(files.outside, Buffer.from(`${JSON.stringify({ vaultId, generation })}\n`));
  } catch {
    // A read-only or absent home directory: the witness beside the vault is still written.
  }
}

interface DerivedKeys {
  encryption: Buffer;
  verifier: Buffer;
}

function scrypt(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r * params.p + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCallback(passphrase.normalize('NFC'), salt, 64, options, (error, key) => (error ? reject(error) : resolve(key))));
}

async function deriveKeys(passphrase: string, kdf: VaultHeader['kdf']): Promise<DerivedKeys> {
  const material = await scrypt(passphrase, Buffer.from(kdf.salt, 'base64'), kdf);
  return { encryption: material.subarray(0, 32), verifier: createHmac('sha256', material.subarray(32)).update('cachet vault passphrase').digest() };
}

function corrupt(path: string, why: string, cause?: unknown): CachetError {
  return new CachetError('ERR_VAULT_CORRUPT', `the credential vault ${path} is damaged or has been tampered with (${why}); restore it from a backup`, {
    ...(cause === undefined ? {} : { cause }),
    details: { file: path },
  });
}

function parseHeader(path: string, bytes: Buffer): { header: VaultHeader; aad: Buffer; body: Buffer } {
  if (bytes.length < MAGIC.length + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt(path, 'it is not a Cachet vault file');
  const length = bytes.readUInt32BE(MAGIC.length);
  if (length > VAULT_LIMITS.maxHeaderBytes || MAGIC.length + 4 + length + 16 > bytes.length) throw corrupt(path, 'its header is cut short');
  const aad = bytes.subarray(0, MAGIC.length + 4 + length);
  let header: VaultHeader;
  try {
    header = JSON.parse(bytes.subarray(MAGIC.length + 4, aad.length).toString('utf8')) as VaultHeader;
  } catch (error) {
    throw corrupt(path, 'its header is unreadable', error);
  }
  const kdf = header?.kdf;
  const sane =
    header.format === 'cachet-credentials' &&
    header.version === 1 &&
    header.cipher === 'aes-256-gcm' &&
    kdf?.name === 'scrypt' &&
    Number.isInteger(kdf.N) && kdf.N >= VAULT_LIMITS.minN && kdf.N <= VAULT_LIMITS.maxN && (kdf.N & (kdf.N - 1)) === 0 &&
    Number.isInteger(kdf.r) && kdf.r >= 1 && kdf.r <= VAULT_LIMITS.maxR &&
    Number.isInteger(kdf.p) && kdf.p >= 1 && kdf.p <= VAULT_LIMITS.maxP &&
    typeof kdf.salt === 'string' && typeof header.iv === 'string' && typeof header.verifier === 'string';
  if (!sane) throw corrupt(path, 'its header has unknown or out-of-range parameters');
  return { header, aad, body: bytes.subarray(aad.length) };
}

/** Every file of the vault is written crash-safe: temp file, fsync, rename, fsync the directory. */
const writeAtomically = (path: string, bytes: Buffer) => writeFileAtomically(path, bytes, 'the credential vault');

function toStored(record: VaultRecord): StoredCredential {
  return {
    id: record.id,
    role: record.role,
    active: record.active,
    certificate: Buffer.from(record.certificate, 'base64'),
    chain: record.chain.map((c) => Buffer.from(c, 'base64')),
    subject: record.subject,
    email: [...record.email],
    notAfter: record.notAfter,
    addedAt: record.addedAt,
    exportable: record.exportable,
    ...(record.friendlyName !== undefined ? { friendlyName: record.friendlyName } : {}),
  };
}

function keyMatchesCertificate(privateKeyPkcs8: Uint8Array, certificate: Uint8Array): boolean {
  try {
    const publicFromKey = createPublicKey(createPrivateKey({ key: Buffer.from(privateKeyPkcs8), format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
    const publicFromCert = createPublicKey({ key: Buffer.from(subjectPublicKeyInfo(certificate)), format: 'der', type: 'spki' }).export({ format: 'der', type: 'spki' });
    return publicFromKey.equals(publicFromCert);
  } catch {
    return false;
  }
}

export interface FileCredentialStore extends CredentialStore, NamedSecrets {
  readonly path: string;
  /** Whether the vault file exists on disk (it is created by the first `add`). */
  exists(): boolean;
  /** Writes the (possibly empty) vault now: `cachet vault init`. */
  persist(): Promise<void>;
  /** Re-encrypts the whole vault under a key derived from the new passphrase (fresh salt). */
  changePassphrase(newPassphrase: string): Promise<void>;
}

/**
 * Opens (or prepares to create) the vault file at `path`.
 * @throws CachetError ERR_VAULT_NOT_FOUND when the file is absent and `createIfMissing` is not set;
 *   ERR_VAULT_BAD_PASSPHRASE for a wrong passphrase; ERR_VAULT_CORRUPT for a damaged or altered file.
 * @example const store = await openFileCredentialStore(join(home, 'credentials.vault'), passphrase, { createIfMissing: true });
 */
/** Times a vault that looks rolled back is read again, in case a writer replaced it meanwhile. */
const ROLLBACK_REREADS = 3;

export interface FileCredentialStoreOptions {
  createIfMissing?: boolean;
  /** Where the outside rollback witness is kept (default rollbackWitnessDir()). */
  witnessDir?: string;
}

export async function openFileCredentialStore(path: string, passphrase: string, options: FileCredentialStoreOptions = {}): Promise<FileCredentialStore> {
  const witnesses = witnessFiles(path, options.witnessDir ?? rollbackWitnessDir());
  let bytes: Buffer | undefined;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CachetError('ERR_INPUT_READ', `cannot read the credential vault ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
  }
  // Assigned below, either fresh or by decode().
  let keys!: DerivedKeys;
  let kdf: VaultHeader['kdf'] | undefined;
  let contents: VaultContents = { credentials: [] };
  let onDisk = bytes !== undefined;
  /** The file's bytes as last read or written, to notice another process's change before a write. */
  let lastSeen: Buffer | undefined = bytes;
  /**
   * Identity of the file (inode, size, times) taken just before `lastSeen` was read: a cheap "has it
   * changed?". Unknown after opening and after our own writes (a stamp taken after a read or a write
   * could already describe someone else's newer file), so the next refresh compares bytes once.
   */
  let lastStat: string | undefined;

  async function fileStamp(): Promise<string | undefined> {
    try {
      const info = await stat(path, { bigint: true });
      // Every write is a rename of a new file, so the inode alone changes with each write; size and
      // the nanosecond times also catch a file rewritten in place by something else.
      return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    } catch {
      return undefined;
    }
  }

  /** `refreshing`: the file changed under us — no user is guessing, so no back-off and no failure counted. */
  async function decode(fileBytes: Buffer, refreshing = false, rereads = ROLLBACK_REREADS): Promise<void> {
    if (fileBytes.length > VAULT_LIMITS.maxFileBytes) throw corrupt(path, 'it is far too large');
    const { header, aad, body } = parseHeader(path, fileBytes);
    const sameKdf = kdf !== undefined && kdf.salt === header.kdf.salt && kdf.N === header.kdf.N && kdf.r === header.kdf.r && kdf.p === header.kdf.p;
    if (!sameKdf && !refreshing) await waitForBackoff(path);
    const derived = sameKdf ? keys : await deriveKeys(passphrase, header.kdf);
    const verifier = Buffer.from(header.verifier, 'base64');
    if (verifier.length !== derived.verifier.length || !timingSafeEqual(verifier, derived.verifier)) {
      if (refreshing) {
        throw new CachetError('ERR_VAULT_BAD_PASSPHRASE', 'the vault passphrase was changed by another program since the vault was opened here; open it again with the new passphrase', {
          details: { file: path, changedElsewhere: true },
        });
      }
      await recordFailure(path);
      throw new CachetError('ERR_VAULT_BAD_PASSPHRASE', 'the vault passphrase is wrong', { details: { file: path } });
    }
    let decoded: VaultContents;
    try {
      // The body is the ciphertext followed by the 16-byte tag.
      const plain = openAes256Gcm(derived.encryption, { iv: Buffer.from(header.iv, 'base64'), ciphertext: body.subarray(0, body.length - 16), tag: body.subarray(body.length - 16) }, aad);
      if (!plain) throw new Error('the tag does not match');
      decoded = JSON.parse(plain.toString('utf8')) as VaultContents;
      if (!Array.isArray(decoded?.credentials)) throw new Error('no credential list');
    } catch (error) {
      throw corrupt(path, 'its contents fail their integrity check', error);
    }
    // Written after the vault itself, so a crash between the two leaves the file ahead, never behind.
    if ((decoded.generation ?? 0) < (await readSeenGeneration(witnesses, decoded.vaultId))) {
      // A writer may have replaced the file (and raised the witnesses) since it was read, unlocked.
      const now = await readFile(path).catch(() => undefined);
      if (now && !now.equals(fileBytes) && rereads > 0) return decode(now, true, rereads - 1);
      throw new CachetError(
        'ERR_VAULT_CORRUPT',
        `the credential vault ${path} is older than the last version written here (it has been rolled back, or restored from an old copy); if you restored it yourself on purpose, delete ${witnesses.beside} and ${witnesses.outside} to accept it`,
        { details: { file: path, rolledBack: true, witnesses: [witnesses.beside, witnesses.outside] } },
      );
    }
    if (!sameKdf && !refreshing) await rm(failuresPath(path), { force: true });
    keys = derived;
    kdf = header.kdf;
    contents = decoded;
    lastSeen = fileBytes;
  }

  if (bytes === undefined) {
    if (!options.createIfMissing) throw new CachetError('ERR_VAULT_NOT_FOUND', `there is no credential vault yet (${path}); import a certificate with "cachet cert import" first`);
    if (passphrase.length === 0) throw new CachetError('ERR_USAGE', 'the vault passphrase must not be empty');
    kdf = { name: 'scrypt', ...VAULT_KDF, salt: randomBytes(16).toString('base64') };
    keys = await deriveKeys(passphrase, kdf);
  } else {
    await decode(bytes);
  }

  /**
   * Another process (the web client, a second CLI, `cachet cert import` beside a running vault
   * service) may have written since we read: start from its version. Called before every read and
   * write; it costs one stat() when nothing changed, and reads the file only when its stamp moved.
   */
  async function refresh(): Promise<void> {
    const stamp = await fileStamp();
    if (stamp === undefined || stamp === lastStat) return;
    let current: Buffer;
    try {
      current = await readFile(path);
    } catch {
      return;
    }
    if (!(lastSeen && current.equals(lastSeen))) await decode(current, true);
    lastStat = stamp;
  }

  async function save(): Promise<void> {
    const iv = randomBytes(12);
    contents.generation = (contents.generation ?? 0) + 1;
    contents.vaultId ??= randomBytes(16).toString('hex');
    if (!kdf) throw new CachetError('ERR_INTERNAL', 'the vault key was not derived');
    const header: VaultHeader = { format: 'cachet-credentials', version: 1, kdf, cipher: 'aes-256-gcm', iv: iv.toString('base64'), verifier: keys.verifier.toString('base64') };
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(headerBytes.length);
    const aad = Buffer.concat([MAGIC, length, headerBytes]);
    const sealed = sealAes256Gcm(keys.encryption, Buffer.from(JSON.stringify(contents), 'utf8'), aad, iv);
    const body = Buffer.concat([sealed.ciphertext, sealed.tag]);
    const written = Buffer.concat([aad, body]);
    await writeAtomically(path, written);
    await writeSeenGeneration(witnesses, contents.vaultId, contents.generation);
    lastSeen = written;
    lastStat = undefined;
    onDisk = true;
  }

  /**
   * Every change is a read-modify-write of the whole file, and several programs write it (the vault
   * service's deposits, `cachet cert import`, the web client): without a lock, two changes made at
   * once both start from the same file and the second write silently drops the first's credential.
   * So each change runs under the vault's lock file and starts from the file as it is then.
   */
  function change<T>(apply: () => Promise<T>): Promise<T> {
    return withFileLock(`${path}.lock`, async () => {
      await refresh();
      return apply();
    }, { what: `the credential vault ${path}` });
  }

  /** Applies a change to the contents and saves it; on a failed write the contents stay as they were. */
  async function commit(next: VaultContents): Promise<void> {
    const previous = contents;
    contents = next;
    try {
      await save();
    } catch (error) {
      contents = previous;
      throw error;
    }
  }

  function find(id: string): VaultRecord {
    const record = contents.credentials.find((c) => c.id === id);
    if (!record) throw new CachetError('ERR_CERT_NOT_FOUND', `no credential ${id} in the vault`, { details: { id } });
    return record;
  }

  return {
    path,
    exists: () => onDisk,
    persist: () => change(() => save()),
    async list() {
      await refresh();
      return contents.credentials.map(toStored);
    },
    async secret(name) {
      await refresh();
      return contents.secrets?.[name];
    },
    async setSecrets(values) {
      await change(async () => {
        const secrets = { ...contents.secrets };
        for (const [name, value] of Object.entries(values)) {
          if (value === undefined) delete secrets[name];
          else secrets[name] = value;
        }
        await commit({ ...contents, secrets });
      });
    },
    async changePassphrase(newPassphrase) {
      if (newPassphrase.length === 0) throw new CachetError('ERR_USAGE', 'the vault passphrase must not be empty');
      const nextKdf: VaultHeader['kdf'] = { name: 'scrypt', ...VAULT_KDF, salt: randomBytes(16).toString('base64') };
      const nextKeys = await deriveKeys(newPassphrase, nextKdf);
      await change(async () => {
        const previousKdf = kdf;
        const previousKeys = keys;
        kdf = nextKdf;
        keys = nextKeys;
        try {
          await commit({ ...contents });
        } catch (error) {
          kdf = previousKdf;
          keys = previousKeys;
          throw error;
        }
      });
    },
    async active(role) {
      await refresh();
      const record = contents.credentials.find((c) => servesUse(c, role) && c.active);
      return record ? toStored(record) : undefined;
    },
    async add(credential: NewCredential, addOptions = {}) {
      if (!keyMatchesCertificate(credential.privateKeyPkcs8, credential.certificate)) {
        throw new CachetError('ERR_KEY_MISMATCH', 'the private key does not belong to the certificate');
      }
      return change(async () => {
        const id = certificateFingerprint(credential.certificate);
        checkAddition(contents.credentials, id, credential.role, addOptions.replaceActive === true, 'vault');
        const cert = new X509Certificate(Buffer.from(credential.certificate));
        const record: VaultRecord = {
          id,
          role: credential.role,
          active: true,
          certificate: Buffer.from(credential.certificate).toString('base64'),
          chain: credential.chain.map((c) => Buffer.from(c).toString('base64')),
          subject: certificateSubject(credential.certificate),
          email: certificateEmails(credential.certificate),
          notAfter: new Date(cert.validTo).toISOString(),
          addedAt: new Date().toISOString(),
          exportable: credential.exportable ?? true,
          ...(credential.friendlyName !== undefined ? { friendlyName: credential.friendlyName } : {}),
          privateKeyPkcs8: Buffer.from(credential.privateKeyPkcs8).toString('base64'),
        };
        await commit({ ...contents, credentials: [...othersAfterAddition(contents.credentials.filter((c) => c.id !== id), credential.role), record] });
        return toStored(record);
      });
    },
    async remove(id) {
      await change(async () => {
        const record = find(id);
        await commit({ ...contents, credentials: othersAfterRemoval(contents.credentials.filter((c) => c.id !== id), record) });
      });
    },
    async privateKey(id): Promise<PrivateKeyHandle> {
      await refresh();
      const record = find(id);
      return softwareKey(createPrivateKey({ key: Buffer.from(record.privateKeyPkcs8, 'base64'), format: 'der', type: 'pkcs8' }));
    },
    async exportPrivateKey(id) {
      await refresh();
      const record = find(id);
      if (!record.exportable) throw new CachetError('ERR_POLICY_FORBIDS', `the private key of ${record.subject} is marked not exportable`, { details: { id } });
      return Buffer.from(record.privateKeyPkcs8, 'base64');
    },
  };
}
