/**
 * A mailbox on an IMAP server (imapflow), with the same operations as the local Maildir: list a
 * folder, read a message, append (to Sent or Drafts), mark seen. A lost connection is a clear,
 * typed error (ERR_MAIL_CONNECTION_LOST) and the next call opens a new one: nothing is half-done on
 * our side, since every operation is a single IMAP command.
 */
import { ImapFlow, type MessageStructureObject, type SearchObject } from 'imapflow';
import { CachetError } from '../../errors.js';
import { hasAttachmentPart, type PartShape } from './attachment-parts.js';
import { roleOf, type FolderName, type FolderStatus, type MailSearch, type StoredMessageInfo } from './mailbox.js';
import type { Mailbox } from './mailbox.js';
import { messageBytes, type MessageContent } from './message-content.js';

export interface ImapSettings {
  host: string;
  port: number;
  /** Implicit TLS (993); otherwise STARTTLS is used when the server offers it. */
  secure: boolean;
  /** Without implicit TLS: refuse a server that does not offer STARTTLS (never a password in clear). */
  requireStartTls?: boolean;
  user: string;
  password: string;
  /** PEM of a private CA for the server's certificate. */
  ca?: string;
  /** Server name to check the certificate against (default: host). */
  servername?: string;
}

/**
 * Cachet's folder roles and their RFC 6154 special-use attributes: "Sent" means the folder the server
 * marks \Sent, whatever its name ("Sent Items", "Gesendet"); a role the server has no folder for is
 * created under the role's name when first written to.
 */
const SPECIAL_USE: Readonly<Record<string, string>> = { Sent: '\\Sent', Drafts: '\\Drafts', Trash: '\\Trash', Junk: '\\Junk', Archive: '\\Archive' };

function shapeOf(node: MessageStructureObject): PartShape {
  return { type: node.type, disposition: node.disposition, children: (node.childNodes ?? []).map(shapeOf) };
}

function checkUid(folder: FolderName, id: string): void {
  if (!/^\d+$/.test(id)) throw new CachetError('ERR_MAIL_NOT_FOUND', `there is no message ${id} in ${folder}`);
}

export class ImapMailbox implements Mailbox {
  private client: ImapFlow | undefined;
  /** Special-use attribute → folder path, as the server listed them (per connection). */
  private specialUse: Map<string, string> | undefined;

  constructor(private readonly settings: ImapSettings) {}

  private async connection(): Promise<ImapFlow> {
    if (this.client?.usable) return this.client;
    const client = await this.connect({});
    this.client = client;
    this.specialUse = undefined;
    return client;
  }

  /** A new logged-in connection; `idle`: for watching, re-issuing IDLE often enough to outlive the socket timeout. */
  private async connect(options: { idle?: boolean }): Promise<ImapFlow> {
    const s = this.settings;
    const client = new ImapFlow({
      host: s.host,
      port: s.port,
      secure: s.secure,
      ...(s.requireStartTls ? { doSTARTTLS: true } : {}),
      auth: { user: s.user, pass: s.password },
      tls: { ...(s.ca ? { ca: s.ca } : {}), servername: s.servername ?? s.host },
      logger: false,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      ...(options.idle ? { maxIdleTime: 30_000 } : {}),
    });
    client.on('error', () => {
      // reported to the caller of the failing operation; the client is discarded
    });
    try {
      await client.connect();
    } catch (error) {
      const e = error as { authenticationFailed?: boolean; code?: string };
      if (e.authenticationFailed) throw new CachetError('ERR_MAIL_AUTH', `the IMAP server refused the login for ${s.user}`, { cause: error });
      throw new CachetError('ERR_MAIL_UNREACHABLE', `the IMAP server ${s.host}:${s.port} cannot be reached`, { cause: error });
    }
    return client;
  }

  async watch(folder: FolderName, onChange: () => void): Promise<{ close(): Promise<void> }> {
    // IDLE holds its connection (RFC 2177): a second one, so reading and sending go on meanwhile.
    const client = await this.connect({ idle: true });
    try {
      await client.mailboxOpen(await this.path(client, folder), { readOnly: true });
    } catch (error) {
      await client.logout().catch(() => client.close());
      throw new CachetError('ERR_MAIL_NOT_FOUND', `cannot watch ${folder}: ${(error as Error).message}`, { cause: error });
    }
    client.on('exists', () => onChange());
    client.on('expunge', () => onChange());
    return {
      close: async () => {
        if (client.usable) await client.logout().catch(() => client.close());
      },
    };
  }

  /** The server's path for a folder name or role; `create`: make the role's folder when there is none. */
  private async path(client: ImapFlow, folder: FolderName, create = false): Promise<string> {
    const use = SPECIAL_USE[folder];
    if (folder === 'INBOX' || !use) return folder;
    if (!this.specialUse) {
      const listed = await client.list();
      this.specialUse = new Map(listed.filter((m) => m.specialUse).map((m) => [m.specialUse!, m.path]));
      // A server without SPECIAL-USE: a folder named after the role stands for it.
      for (const m of listed) {
        const role = SPECIAL_USE[m.path];
        if (role && !this.specialUse.has(role)) this.specialUse.set(role, m.path);
      }
    }
    const found = this.specialUse.get(use);
    if (found) return found;
    if (create) {
      await client.mailboxCreate(folder);
      this.specialUse.set(use, folder);
    }
    return folder;
  }

  private async run<T>(what: string, operation: (client: ImapFlow) => Promise<T>): Promise<T> {
    const client = await this.connection();
    try {
      return await operation(client);
    } catch (error) {
      if (error instanceof CachetError) throw error;
      if (!client.usable) {
        this.client = undefined;
        throw new CachetError('ERR_MAIL_CONNECTION_LOST', `the connection to the IMAP server was lost while ${what}; try again`, { cause: error });
      }
      throw new CachetError('ERR_MAIL_NOT_FOUND', `the IMAP server refused ${what}: ${(error as Error).message}`, { cause: error });
    }
  }

  async list(folder: FolderName): Promise<StoredMessageInfo[]> {
    return this.run(`listing ${folder}`, async (client) => {
      const lock = await client.getMailboxLock(await this.path(client, folder));
      try {
        const out: StoredMessageInfo[] = [];
        // A folder selected earlier on this (long-lived) connection: NOOP lets the server report what
        // arrived since (RFC 3501 §6.1.2), or a new message would be missing from the list.
        await client.noop();
        // imapflow's NOOP does not fail on a dropped line: say so, or the list would come back empty.
        if (!client.usable) throw new Error('the connection closed');
        if ((client.mailbox && typeof client.mailbox === 'object' ? client.mailbox.exists : 0) === 0) return out;
        for await (const message of client.fetch('1:*', { uid: true, flags: true, size: true, internalDate: true })) {
          out.push({
            id: String(message.uid),
            folder,
            size: message.size ?? 0,
            seen: message.flags?.has('\\Seen') ?? false,
            flagged: message.flags?.has('\\Flagged') ?? false,
            date: new Date(message.internalDate ?? Date.now()),
          });
        }
        return out;
      } finally {
        lock.release();
      }
    });
  }

  async read(folder: FolderName, id: string): Promise<Buffer> {
    checkUid(folder, id);
    return this.run(`reading message ${id}`, async (client) => {
      const lock = await client.getMailboxLock(await this.path(client, folder));
      try {
        const message = await client.fetchOne(id, { source: true }, { uid: true });
        if (!message || !message.source) throw new CachetError('ERR_MAIL_NOT_FOUND', `there is no message ${id} in ${folder}`);
        return message.source;
      } finally {
        lock.release();
      }
    });
  }

  /**
   * Appends a message. The one place where a message being sent is held whole in memory: imapflow's
   * append announces the IMAP literal's length from a Buffer and refuses streams, so the Sent copy of
   * an IMAP account costs its size once, for the length of the upload (the server's APPENDLIMIT,
   * when it announces one, refuses a larger one before it is sent).
   */
  async deliver(folder: FolderName, message: MessageContent, options: { seen?: boolean } = {}): Promise<string> {
    return this.run(`saving to ${folder}`, async (client) => {
      // The sent copy goes to the server's \Sent folder (created when missing), never to a stray "Sent".
      const result = await client.append(await this.path(client, folder, true), await messageBytes(message), options.seen ? ['\\Seen'] : []);
      return result && typeof result === 'object' && 'uid' in result && result.uid ? String(result.uid) : '';
    });
  }

  async markSeen(folder: FolderName, id: string): Promise<void> {
    await this.setFlags(folder, id, { seen: true });
  }

  /**
   * Runs `operation` with `folder` selected (its lock held), for one message's UID that is there: a
   * server answers a STORE, MOVE or EXPUNGE of a UID it does not have with OK, so the user would be
   * told "flagged", "moved" or "deleted" of nothing. One UID SEARCH asks first.
   * @throws CachetError ERR_MAIL_NOT_FOUND
   */
  private inFolder<T>(what: string, folder: FolderName, id: string, operation: (client: ImapFlow) => Promise<T>): Promise<T> {
    checkUid(folder, id);
    return this.run(what, async (client) => {
      const lock = await client.getMailboxLock(await this.path(client, folder));
      try {
        const there = await client.search({ uid: id }, { uid: true });
        if (!there || !there.includes(Number(id))) throw new CachetError('ERR_MAIL_NOT_FOUND', `there is no message ${id} in ${folder}`, { details: { folder, id } });
        return await operation(client);
      } finally {
        lock.release();
      }
    });
  }

  async setFlags(folder: FolderName, id: string, flags: { seen?: boolean; flagged?: boolean }): Promise<void> {
    await this.inFolder(`changing the flags of ${id}`, folder, id, async (client) => {
      const add = [...(flags.seen === true ? ['\\Seen'] : []), ...(flags.flagged === true ? ['\\Flagged'] : [])];
      const remove = [...(flags.seen === false ? ['\\Seen'] : []), ...(flags.flagged === false ? ['\\Flagged'] : [])];
      if (add.length > 0) await client.messageFlagsAdd(id, add, { uid: true });
      if (remove.length > 0) await client.messageFlagsRemove(id, remove, { uid: true });
    });
  }

  /**
   * IMAP MOVE (RFC 6851; imapflow copies and expunges where the server lacks it); the new UID comes
   * from the server's COPYUID (UIDPLUS, RFC 4315), else from a search of the target by Message-ID.
   */
  async move(folder: FolderName, id: string, target: FolderName): Promise<string> {
    return this.inFolder(`moving ${id} to ${target}`, folder, id, async (client) => {
      const destination = await this.path(client, target, true);
      const before = client.capabilities.has('UIDPLUS') ? false : await client.fetchOne(id, { envelope: true }, { uid: true });
      const envelope = before ? before.envelope : undefined;
      const moved = await client.messageMove(id, destination, { uid: true });
      if (!moved) throw new CachetError('ERR_MAIL_NOT_FOUND', `there is no message ${id} in ${folder}`, { details: { folder, id } });
      const uid = moved.uidMap?.get(Number(id));
      if (uid !== undefined) return String(uid);
      if (!envelope?.messageId) return '';
      const lock = await client.getMailboxLock(destination);
      try {
        const found = await client.search({ header: { 'message-id': envelope.messageId } }, { uid: true });
        return found && found.length > 0 ? String(Math.max(...found)) : '';
      } finally {
        lock.release();
      }
    });
  }

  async remove(folder: FolderName, id: string): Promise<void> {
    await this.inFolder(`deleting message ${id}`, folder, id, async (client) => {
      // \Deleted and EXPUNGE of this UID only (UID EXPUNGE where the server has UIDPLUS).
      await client.messageDelete(id, { uid: true });
    });
  }

  /**
   * IMAP SEARCH on the server (FROM, SUBJECT, SENTSINCE, SENTBEFORE): only what the server can read
   * is searched — an encrypted message's protected Subject and content are not. "Has an attachment"
   * has no SEARCH key: the matches' BODYSTRUCTURE is fetched (never their content) and judged here.
   */
  async search(folder: FolderName, criteria: MailSearch): Promise<string[]> {
    return this.run(`searching ${folder}`, async (client) => {
      const lock = await client.getMailboxLock(await this.path(client, folder));
      try {
        await client.noop();
        const query: SearchObject = {
          ...(criteria.from !== undefined ? { from: criteria.from } : {}),
          ...(criteria.subject !== undefined ? { subject: criteria.subject } : {}),
          ...(criteria.since ? { sentSince: criteria.since } : {}),
          ...(criteria.before ? { sentBefore: criteria.before } : {}),
        };
        const found = (await client.search(Object.keys(query).length > 0 ? query : { all: true }, { uid: true })) || [];
        if (criteria.hasAttachment === undefined || found.length === 0) return found.map(String);
        const out: string[] = [];
        for await (const message of client.fetch(found.join(','), { uid: true, bodyStructure: true }, { uid: true })) {
          const has = message.bodyStructure ? hasAttachmentPart(shapeOf(message.bodyStructure)) : false;
          if (has === criteria.hasAttachment) out.push(String(message.uid));
        }
        return out;
      } finally {
        lock.release();
      }
    });
  }

  /** One LIST with STATUS (messages, unseen); a special-use folder is named by its role, as the client names it. */
  async folderStatus(): Promise<FolderStatus[]> {
    return this.run('listing the folders', async (client) => {
      const listed = await client.list({ statusQuery: { messages: true, unseen: true } });
      const roleNames = new Map(Object.entries(SPECIAL_USE).map(([name, use]) => [use, name]));
      const out: FolderStatus[] = [];
      for (const folder of listed) {
        if (folder.flags.has('\\Noselect')) continue;
        const name = folder.path.toUpperCase() === 'INBOX' ? 'INBOX' : (folder.specialUse && roleNames.get(folder.specialUse)) || folder.path;
        // Two folders claiming one role (a "Trash" beside the server's \Trash): the first keeps the name.
        if (out.some((f) => f.name === name)) continue;
        out.push({ name, role: roleOf(name), total: folder.status?.messages ?? 0, unread: folder.status?.unseen ?? 0 });
      }
      return out;
    });
  }

  async stream(folder: FolderName, id: string): Promise<AsyncIterable<Uint8Array>> {
    const bytes = await this.read(folder, id);
    return (async function* () {
      yield bytes;
    })();
  }

  async folders(): Promise<FolderName[]> {
    return this.run('listing the folders', async (client) => (await client.list()).map((m) => m.path));
  }


  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.usable) await client.logout().catch(() => client.close());
  }
}
