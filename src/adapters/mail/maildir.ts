/**
 * A local mailbox in Maildir form (maildir(5)): one directory per folder with tmp/, new/ and cur/.
 * Delivery writes under tmp/ and renames into new/, so no reader ever sees half a message and a
 * crash loses nothing that was acknowledged. This is the embedded default: no server is needed.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, watch as watchDirectory } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { CachetError } from '../../errors.js';
import { readMimeEntity } from '../../engine/mime/entity-reader.js';
import { parseMailboxes } from '../../engine/mime/addresses.js';
import { decodeEncodedWords } from '../../engine/mime/headers.js';
import { readMultipart } from '../../engine/mime/multipart.js';
import { MIME_LIMITS } from '../../engine/mime/limits.js';
import type { MimeEntity } from '../../engine/mime/types.js';
import { hasAttachmentPart, type PartShape } from './attachment-parts.js';
import { FOLDERS, roleOf, type FolderName, type FolderStatus, type Mailbox, type MailSearch, type StoredMessageInfo } from './mailbox.js';
import { messageChunks, type MessageContent, type RereadableMessage } from './message-content.js';

const ID_PATTERN = /^[A-Za-z0-9._-]+$/;

/** maildir(5) info flags, kept in ASCII order as the format asks: F flagged, S seen. */
function withFlags(current: string, flags: { seen?: boolean; flagged?: boolean }): string {
  const set = new Set(current.replace(/[^A-Z]/g, ''));
  for (const [letter, on] of [['S', flags.seen], ['F', flags.flagged]] as const) {
    if (on === true) set.add(letter);
    if (on === false) set.delete(letter);
  }
  return [...set].sort().join('');
}

/** A message's MIME structure, read as it streams (each part's body skipped, never held). */
async function shapeOf(entity: MimeEntity, depth = 0): Promise<PartShape> {
  const type = entity.headers.contentType();
  const children: PartShape[] = [];
  if (type.type === 'multipart' && depth < MIME_LIMITS.maxDepth) for await (const part of readMultipart(entity)) children.push(await shapeOf(part, depth + 1));
  return { type: type.mediaType, disposition: entity.headers.get('content-disposition')?.split(';')[0]?.trim(), children };
}

function checkFolder(folder: string): void {
  if (!/^[A-Za-z][A-Za-z0-9 _-]{0,63}$/.test(folder)) throw new CachetError('ERR_USAGE', `"${folder}" is not a folder name`);
}

function checkId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new CachetError('ERR_MAIL_NOT_FOUND', `there is no message "${id}"`);
}

/** Times a message renamed while it is listed is looked for again under its new name. */
const RENAMED_LOOKUPS = 5;

export class Maildir implements Mailbox {
  constructor(readonly root: string) {}

  /** New mail is a rename into new/ (and a read moves it to cur/): both directories are watched. */
  async watch(folder: FolderName, onChange: () => void): Promise<{ close(): Promise<void> }> {
    await this.ensure(folder);
    let timer: NodeJS.Timeout | undefined;
    // One call per burst: a delivery is a create and a rename.
    const changed = () => {
      clearTimeout(timer);
      timer = setTimeout(onChange, 100);
    };
    const watchers = ['new', 'cur'].map((sub) => watchDirectory(join(this.folderPath(folder), sub), changed));
    return {
      close: async () => {
        clearTimeout(timer);
        for (const w of watchers) w.close();
      },
    };
  }

  private folderPath(folder: FolderName): string {
    checkFolder(folder);
    return join(this.root, folder);
  }

  async ensure(folder: FolderName): Promise<void> {
    for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(this.folderPath(folder), sub), { recursive: true, mode: 0o700 });
  }

  /**
   * Delivers a message atomically (streamed into tmp/, synced, then renamed: a crash leaves the whole
   * message or none); returns its id.
   */
  async deliver(folder: FolderName, message: MessageContent, options: { seen?: boolean } = {}): Promise<string> {
    await this.ensure(folder);
    const id = `${Date.now()}.${randomBytes(6).toString('hex')}.${hostname().replace(/[^A-Za-z0-9-]/g, '_')}`;
    const temporary = join(this.folderPath(folder), 'tmp', id);
    const handle = await open(temporary, 'wx', 0o600);
    try {
      // writeFile at the handle's position: each chunk whole, after the one before.
      for await (const chunk of messageChunks(message)) await handle.writeFile(chunk);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temporary, { force: true });
      throw error;
    }
    await handle.close();
    await rename(temporary, options.seen ? join(this.folderPath(folder), 'cur', `${id}:2,S`) : join(this.folderPath(folder), 'new', id));
    return id;
  }

  async list(folder: FolderName): Promise<StoredMessageInfo[]> {
    // By id: a message moved from new/ to cur/ between the two readdirs is met twice, listed once.
    const out = new Map<string, StoredMessageInfo>();
    for (const sub of ['new', 'cur'] as const) {
      let names: string[];
      try {
        names = await readdir(join(this.folderPath(folder), sub));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      for (const name of names) {
        const [id] = name.split(':2,');
        if (!id || !ID_PATTERN.test(id)) continue;
        const info = await this.messageInfo(folder, id, join(this.folderPath(folder), sub, name));
        if (info) out.set(id, info);
      }
    }
    return [...out.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * A message's size, flags and date from its file. Another reader may mark it read (new/ → cur/) or
   * change its flags (a rename) between the readdir and the stat(): it is looked for again under its
   * new name; undefined when it is gone (moved to another folder, deleted).
   */
  private async messageInfo(folder: FolderName, id: string, path: string): Promise<StoredMessageInfo | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const info = await stat(path);
        const flags = basename(path).split(':2,')[1] ?? '';
        return { id, folder, size: info.size, seen: basename(dirname(path)) === 'cur' && flags.includes('S'), flagged: flags.includes('F'), date: info.mtime };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        if (attempt === RENAMED_LOOKUPS) return undefined;
      }
      try {
        path = await this.locate(folder, id);
      } catch {
        return undefined;
      }
    }
  }

  private async locate(folder: FolderName, id: string): Promise<string> {
    checkId(id);
    const base = this.folderPath(folder);
    for (const sub of ['new', 'cur']) {
      let names: string[] = [];
      try {
        names = await readdir(join(base, sub));
      } catch {
        continue;
      }
      const name = names.find((n) => n === id || n.startsWith(`${id}:2,`));
      if (name) return join(base, sub, name);
    }
    throw new CachetError('ERR_MAIL_NOT_FOUND', `there is no message ${id} in ${folder}`, { details: { folder, id } });
  }

  async read(folder: FolderName, id: string): Promise<Buffer> {
    return readFile(await this.locate(folder, id));
  }

  async stream(folder: FolderName, id: string): Promise<AsyncIterable<Uint8Array>> {
    return (await this.content(folder, id)).read();
  }

  /** A stored message as content read from its file on each use (the outbox hands it to a transport). */
  async content(folder: FolderName, id: string): Promise<RereadableMessage> {
    const path = await this.locate(folder, id);
    return { read: () => this.readFrom(folder, id, path) };
  }

  /**
   * The message's bytes from `path`, or from its new name when another reader renamed it meanwhile
   * (marked it read, flagged it): once open, a rename no longer matters.
   */
  private async *readFrom(folder: FolderName, id: string, path: string): AsyncGenerator<Uint8Array> {
    for (let attempt = 1; ; attempt++) {
      let handle;
      try {
        handle = await open(path, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === RENAMED_LOOKUPS) throw error;
        path = await this.locate(folder, id);
        continue;
      }
      yield* handle.createReadStream({ highWaterMark: 1024 * 1024 });
      return;
    }
  }

  async markSeen(folder: FolderName, id: string): Promise<void> {
    await this.setFlags(folder, id, { seen: true });
  }

  /** A flag change is a rename into cur/ with the new info (maildir(5)): atomic, nothing rewritten. */
  async setFlags(folder: FolderName, id: string, flags: { seen?: boolean; flagged?: boolean }): Promise<void> {
    // Another reader may rename it first (two reads of one message, each marking it read): from its new name.
    for (let attempt = 1; ; attempt++) {
      const path = await this.locate(folder, id);
      const current = path.includes(':2,') ? path.slice(path.lastIndexOf(':2,') + 3) : '';
      const target = join(this.folderPath(folder), 'cur', `${id}:2,${withFlags(current, flags)}`);
      if (target === path) return;
      await this.ensure(folder);
      try {
        await rename(path, target);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === RENAMED_LOOKUPS) throw error;
      }
    }
  }

  /** Keeps the id and the flags: the file is renamed into the other folder's same sub-directory. */
  async move(folder: FolderName, id: string, target: FolderName): Promise<string> {
    const path = await this.locate(folder, id);
    if (target === folder) return id;
    await this.ensure(target);
    const sub = path.includes(`${join(this.folderPath(folder), 'new')}/`) ? 'new' : 'cur';
    await rename(path, join(this.folderPath(target), sub, path.slice(path.lastIndexOf('/') + 1)));
    return id;
  }

  async search(folder: FolderName, criteria: MailSearch): Promise<string[]> {
    const out: string[] = [];
    for (const info of await this.list(folder)) if (await this.matches(folder, info, criteria)) out.push(info.id);
    return out;
  }

  private async matches(folder: FolderName, info: StoredMessageInfo, criteria: MailSearch): Promise<boolean> {
    const file = createReadStream(await this.locate(folder, info.id), { highWaterMark: 64 * 1024 });
    try {
      return await this.entityMatches(await readMimeEntity(file), info, criteria);
    } finally {
      file.destroy(); // the rest of the file is not needed: its descriptor is let go of now
    }
  }

  private async entityMatches(entity: MimeEntity, info: StoredMessageInfo, criteria: MailSearch): Promise<boolean> {
    const { headers } = entity;
    const contains = (value: string, needle: string) => value.toLowerCase().includes(needle.toLowerCase());
    if (criteria.from !== undefined) {
      const from = headers.get('from') ?? '';
      // The address and the decoded name, as IMAP SEARCH FROM matches both.
      if (!contains(from, criteria.from) && !parseMailboxes(from).some((m) => contains(`${m.name ?? ''} ${m.address ?? ''}`, criteria.from!))) return false;
    }
    if (criteria.subject !== undefined && !contains(decodeEncodedWords(headers.get('subject') ?? ''), criteria.subject)) return false;
    if (criteria.since || criteria.before) {
      const sent = new Date(headers.get('date') ?? info.date.toISOString());
      // IMAP compares whole days (RFC 3501 SENTSINCE/SENTBEFORE): so does this.
      const day = Date.UTC(sent.getUTCFullYear(), sent.getUTCMonth(), sent.getUTCDate());
      if (criteria.since && !(day >= criteria.since.getTime())) return false;
      if (criteria.before && !(day < criteria.before.getTime())) return false;
    }
    if (criteria.hasAttachment !== undefined) {
      let has: boolean;
      try {
        has = hasAttachmentPart(await shapeOf(entity));
      } catch {
        has = false; // a structure that cannot be read shows no attachment
      }
      if (has !== criteria.hasAttachment) return false;
    }
    return true;
  }

  async folderStatus(): Promise<FolderStatus[]> {
    const out: FolderStatus[] = [];
    for (const name of await this.folders()) {
      const messages = await this.list(name);
      out.push({ name, role: roleOf(name), total: messages.length, unread: messages.filter((m) => !m.seen).length });
    }
    return out;
  }

  async remove(folder: FolderName, id: string): Promise<void> {
    await rm(await this.locate(folder, id), { force: true });
  }


  async folders(): Promise<FolderName[]> {
    let names: string[] = [];
    try {
      names = (await readdir(this.root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      // a mailbox not yet created has the standard folders, all empty
    }
    return [...FOLDERS, ...names.filter((n) => !(FOLDERS as readonly string[]).includes(n)).sort()];
  }
}
