/**
 * A local mailbox in Maildir form (maildir(5)): one directory per folder with tmp/, new/ and cur/.
 * Delivery writes under tmp/ and renames into new/, so no reader ever sees half a message and a
 * crash loses nothing that was acknowledged. This is the embedded default: no server is needed.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, watch as watchDirectory } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CachetError } from '../../errors.js';
import { FOLDERS, type FolderName, type Mailbox, type StoredMessageInfo } from './mailbox.js';
import { messageChunks, type MessageContent, type RereadableMessage } from './message-content.js';

const ID_PATTERN = /^[A-Za-z0-9._-]+$/;

function checkFolder(folder: string): void {
  if (!/^[A-Za-z][A-Za-z0-9 _-]{0,63}$/.test(folder)) throw new CachetError('ERR_USAGE', `"${folder}" is not a folder name`);
}

function checkId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new CachetError('ERR_MAIL_NOT_FOUND', `there is no message "${id}"`);
}

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
    const out: StoredMessageInfo[] = [];
    for (const sub of ['new', 'cur'] as const) {
      let names: string[];
      try {
        names = await readdir(join(this.folderPath(folder), sub));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      for (const name of names) {
        const [id, flags = ''] = name.split(':2,');
        if (!id || !ID_PATTERN.test(id)) continue;
        const info = await stat(join(this.folderPath(folder), sub, name));
        out.push({ id, folder, size: info.size, seen: sub === 'cur' && flags.includes('S'), date: info.mtime });
      }
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
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
    return { read: () => createReadStream(path, { highWaterMark: 1024 * 1024 }) };
  }

  async markSeen(folder: FolderName, id: string): Promise<void> {
    const path = await this.locate(folder, id);
    if (path.includes(':2,') && path.endsWith('S')) return;
    await this.ensure(folder);
    await rename(path, join(this.folderPath(folder), 'cur', `${id}:2,S`));
  }

  async remove(folder: FolderName, id: string): Promise<void> {
    await rm(await this.locate(folder, id), { force: true });
  }

  /** Finds a message by id in any folder. */
  async find(id: string): Promise<{ folder: FolderName; info: StoredMessageInfo } | undefined> {
    for (const folder of await this.folders()) {
      const info = (await this.list(folder)).find((m) => m.id === id);
      if (info) return { folder, info };
    }
    return undefined;
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
