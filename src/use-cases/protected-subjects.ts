/**
 * The protected Subject of encrypted mail the user has opened (RFC 9788: outside it reads "[...]"),
 * remembered for that user only so that the lists show it and the list's search finds it.
 *
 * A per-user index of its own, one file in the user's directory, sealed with AES-256-GCM
 * (adapters/keys/aes-gcm-seal.ts) under a random key kept as a named secret of the user's vault:
 * never in clear on disk, opened only by a session that has the user's vault open (the web client's
 * sign-in password, or `cachet server`'s per-user passphrase under its key-encryption key), and bound
 * to the user's address as associated data so that one user's index copied over another's does not
 * open. The vault itself is written once per user, when that key is made; after that reading mail
 * never rewrites it (the subjects used to be a secret of the vault, re-encrypting the whole vault
 * for every newly opened message).
 *
 * Off the read path: `remember` only notes the subject and returns. One writer per index coalesces
 * whatever was noted meanwhile into one write, under a lock file (several `cachet server` instances
 * share a user's directory) and through an atomic rename, so a process killed mid-write leaves the
 * previous index whole. A failure to remember is handed to `onError` (the log), never to the reader.
 *
 * Bounded: the newest MAX_REMEMBERED_SUBJECTS, each cut to MAX_SUBJECT_LENGTH; the oldest are
 * forgotten first, and an index file larger than MAX_INDEX_FILE_BYTES is not read.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { CachetError, isCachetError } from '../errors.js';
import { openFromBase64, sealToBase64, type SealedBase64 } from '../adapters/keys/aes-gcm-seal.js';
import type { NamedSecrets } from '../adapters/keys/credential-store.js';
import { writeFileAtomically } from '../adapters/storage/atomic-file.js';
import { withFileLock } from '../adapters/storage/file-lock.js';

/** The index's file in the user's directory. */
export const PROTECTED_SUBJECTS_FILE_NAME = 'protected-subjects.sealed';
/** Enough for a working mailbox's recent mail; the index stays small. */
export const MAX_REMEMBERED_SUBJECTS = 2000;
export const MAX_SUBJECT_LENGTH = 500;
/** 2000 subjects of 500 characters (up to 3 UTF-8 bytes each), in base64, fit well below this. */
const MAX_INDEX_FILE_BYTES = 8 * 1024 * 1024;
/** The vault's named secret holding the index key (32 random bytes, base64). */
const KEY_SECRET_NAME = 'protected-subjects-key';
/**
 * Where the first version kept the subjects themselves, as JSON keyed `folder\0id` (this module's
 * fallback key): taken into the index and removed from the vault by the write that makes the key.
 */
const LEGACY_SECRET_NAME = 'protected-subjects';
const FORMAT = 'cachet-protected-subjects';
const WHAT = 'the index of protected subjects';

interface IndexFile extends SealedBase64 {
  format: typeof FORMAT;
  version: 1;
}

/**
 * What a message is remembered by: its outer Message-ID, the identity the listing already gives a
 * message (folder-listing.ts lists one message per Message-ID), so that a move — a new IMAP UID, a
 * Maildir file in another folder — keeps its subject, and the list can look it up from the outer
 * header it reads anyway. A digest of the encrypted content would bind tighter, but every list would
 * then fetch every encrypted body where it now reads headers only. A stranger who reuses someone's
 * Message-ID gains nothing from it: they never see this user's list, and the list's subjects are
 * outer, unauthenticated text anyway (a stranger can write any clear Subject). Mail without a
 * Message-ID falls back to its folder and id, which a move forgets.
 */
export function protectedSubjectKey(message: { messageId: string | null; folder: string; id: string }): string {
  return message.messageId ?? `${message.folder}\u0000${message.id}`;
}

/** Entries of a list (a folder, a search, a conversation), each encrypted one the user opened with its protected Subject. */
export function withProtectedSubjects<T extends { encrypted: boolean; messageId: string | null; folder: string; id: string; subject: string }>(entries: T[], known: ReadonlyMap<string, string>): T[] {
  if (known.size === 0) return entries;
  return entries.map((entry) => {
    const subject = entry.encrypted ? known.get(protectedSubjectKey(entry)) : undefined;
    return subject === undefined ? entry : { ...entry, subject };
  });
}

export interface ProtectedSubjectIndexOptions {
  /** The index file (PROTECTED_SUBJECTS_FILE_NAME in the user's directory). */
  file: string;
  /** The user's address: the seal's associated data. */
  owner: string;
  /** The vault holding the index key; `createIfMissing` only when a subject is to be written. */
  vault: (createIfMissing: boolean) => Promise<NamedSecrets>;
  /** Told of every failure to remember or to read the index (a log); the reading of mail never is. */
  onError: (error: unknown) => void;
  /** Default MAX_REMEMBERED_SUBJECTS. */
  maxSubjects?: number;
}

export class ProtectedSubjectIndex {
  /** Noted and not yet written (or being written): the lists show them at once. */
  private readonly unsaved = new Map<string, string>();
  /** Noted since the running write took its batch. */
  private pending = new Map<string, string>();
  private writing: Promise<void> | undefined;
  /** The index as last read or written, and the file stamp it was read at (another instance's write changes it). */
  private cache: { entries: Map<string, string>; stamp: string } | undefined;
  private readonly aad: Buffer;

  constructor(private readonly options: ProtectedSubjectIndexOptions) {
    this.aad = Buffer.from(`${FORMAT} v1\u0000${options.owner}`, 'utf8');
  }

  /** Keys still being found (the message's outer header being read), so that settled() waits for them too. */
  private readonly finding = new Set<Promise<void>>();

  /**
   * Notes the Subject an opened encrypted message protects, to be written soon; never throws, never
   * waits. `key` may still be on its way (a failure to find it is told to onError).
   */
  remember(key: string | Promise<string>, subject: string): void {
    if (typeof key === 'string') return this.note(key, subject);
    const found = key.then(
      (name) => this.note(name, subject),
      (error: unknown) => this.options.onError(error),
    );
    this.finding.add(found);
    void found.finally(() => this.finding.delete(found));
  }

  private note(key: string, subject: string): void {
    const value = subject.slice(0, MAX_SUBJECT_LENGTH);
    if ((this.unsaved.get(key) ?? this.cache?.entries.get(key)) === value) return;
    this.unsaved.set(key, value);
    this.pending.delete(key);
    this.pending.set(key, value);
    this.writing ??= this.writePending();
  }

  /** Resolves once everything noted so far has been written (or its failure told). */
  async settled(): Promise<void> {
    while (this.finding.size > 0 || this.writing) {
      await Promise.all(this.finding);
      await this.writing;
    }
  }

  /** The remembered subjects by key; an index that cannot be read now is empty (and told to onError). */
  async subjects(): Promise<Map<string, string>> {
    let entries = new Map<string, string>();
    try {
      entries = await this.current();
    } catch (error) {
      // No vault yet: nothing was ever remembered.
      if (!isCachetError(error, 'ERR_VAULT_NOT_FOUND')) this.options.onError(error);
    }
    if (this.unsaved.size === 0) return entries;
    const out = new Map(entries);
    for (const [key, subject] of this.unsaved) out.set(key, subject);
    return out;
  }

  private async writePending(): Promise<void> {
    try {
      // Lets the other reads of this moment note theirs, to go in the same write.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.pending.size > 0) {
        const batch = this.pending;
        this.pending = new Map();
        try {
          await this.write(batch);
        } catch (error) {
          this.options.onError(error);
        }
        // Written or given up (a read-only directory would fail every retry): the lists no longer wait on them.
        for (const [key, subject] of batch) if (this.unsaved.get(key) === subject && !this.pending.has(key)) this.unsaved.delete(key);
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async write(batch: Map<string, string>): Promise<void> {
    await withFileLock(
      `${this.options.file}.lock`,
      async () => {
        const legacy = new Map<string, string>();
        const key = await this.key(true, legacy);
        if (!key) throw new CachetError('ERR_INTERNAL', `the key of ${WHAT} was not kept in the vault`);
        // From the file as it is now: another instance may have written since this one read it.
        const entries = new Map([...legacy, ...((await this.read(key))?.entries ?? [])]);
        for (const [name, subject] of batch) {
          entries.delete(name);
          entries.set(name, subject);
        }
        const max = this.options.maxSubjects ?? MAX_REMEMBERED_SUBJECTS;
        for (const name of [...entries.keys()].slice(0, Math.max(0, entries.size - max))) entries.delete(name);
        const sealed = sealToBase64(key, Buffer.from(JSON.stringify([...entries]), 'utf8'), this.aad);
        const file: IndexFile = { format: FORMAT, version: 1, ...sealed };
        await writeFileAtomically(this.options.file, `${JSON.stringify(file)}\n`, WHAT);
        // Under the lock nobody else writes: this stamp is of the file just written.
        this.cache = { entries, stamp: (await fileStamp(this.options.file))?.stamp ?? '' };
      },
      { what: WHAT },
    );
  }

  /** The index on disk, read again only when its file changed. */
  private async current(): Promise<Map<string, string>> {
    const stamp = (await fileStamp(this.options.file))?.stamp;
    if (stamp === undefined) return new Map();
    if (this.cache?.stamp === stamp) return this.cache.entries;
    const key = await this.key(false);
    if (!key) return new Map();
    const read = await this.read(key);
    this.cache = read ?? { entries: new Map(), stamp };
    return this.cache.entries;
  }

  /** The index file's entries, oldest first; undefined when there is none, or one that does not open (told to onError). */
  private async read(key: Buffer): Promise<{ entries: Map<string, string>; stamp: string } | undefined> {
    const found = await fileStamp(this.options.file);
    if (found === undefined) return undefined;
    const { stamp, size } = found;
    let text: string;
    try {
      // Judged by its size before it is read: a file far too large is never taken into memory.
      if (size > MAX_INDEX_FILE_BYTES) throw new Error('it is far too large');
      text = (await readFile(this.options.file)).toString('utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.options.onError(new CachetError('ERR_INPUT_READ', `cannot read ${WHAT} ${this.options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; it is started afresh`, { cause: error }));
      return undefined;
    }
    const entries = parseEntries(text, key, this.aad);
    if (!entries) {
      // Another key (made by two instances at once, the loser's index), a damaged or foreign file: a cache, started afresh.
      this.options.onError(new CachetError('ERR_VAULT_CORRUPT', `${WHAT} ${this.options.file} does not open with this user's key; it is started afresh`));
      return undefined;
    }
    return { entries, stamp };
  }

  /**
   * The index key from the vault; made (once per user, the one vault write) when `create` and
   * missing, that write also taking the first version's subjects out of the vault (into `legacy`).
   */
  private async key(create: boolean, legacy = new Map<string, string>()): Promise<Buffer | undefined> {
    const vault = await this.options.vault(create);
    let text = await vault.secret(KEY_SECRET_NAME);
    if (text === undefined && create) {
      for (const [name, subject] of Object.entries(parseLegacy(await vault.secret(LEGACY_SECRET_NAME)))) if (typeof subject === 'string') legacy.set(name, subject.slice(0, MAX_SUBJECT_LENGTH));
      await vault.setSecrets({ [KEY_SECRET_NAME]: randomBytes(32).toString('base64'), [LEGACY_SECRET_NAME]: undefined });
      text = await vault.secret(KEY_SECRET_NAME);
    }
    if (text === undefined) return undefined;
    return Buffer.from(text, 'base64');
  }
}

function parseLegacy(text: string | undefined): Record<string, unknown> {
  try {
    const parsed: unknown = text === undefined ? {} : JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function parseEntries(text: string, key: Buffer, aad: Buffer): Map<string, string> | undefined {
  try {
    const file = JSON.parse(text) as Partial<IndexFile>;
    if (file.format !== FORMAT || file.version !== 1) return undefined;
    const plain = openFromBase64(key, file as IndexFile, aad);
    if (!plain) return undefined;
    const pairs: unknown = JSON.parse(plain.toString('utf8'));
    if (!Array.isArray(pairs)) return undefined;
    return new Map(pairs.filter((p): p is [string, string] => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string'));
  } catch {
    return undefined;
  }
}

/**
 * The file's stamp — inode, size and times: every write is a rename of a new file, so a write by
 * anyone changes it — and its size; undefined when there is none.
 */
async function fileStamp(path: string): Promise<{ stamp: string; size: number } | undefined> {
  try {
    const info = await stat(path, { bigint: true });
    return { stamp: `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}`, size: Number(info.size) };
  } catch {
    return undefined;
  }
}
