/** The web's mail operations on the use cases (src/use-cases/mail-operations.ts), in the user's one mail session. */
import type { MailSearch } from '../../adapters/mail/mailbox.js';
import type { FolderEntry } from '../../use-cases/folder-listing.js';
import type { MailSession } from '../../use-cases/mail-session.js';
import { archiveMessage, conversation, deleteMessage, moveMessage, searchDay, searchFolder, setMessageFlags } from '../../use-cases/mail-operations.js';
import { threadIds } from '../../use-cases/threads.js';
import { withProtectedSubjects } from '../../use-cases/protected-subjects.js';
import type { DeleteResult, MailOperationsService, MessageSummary, SearchCriteria } from './mail-service.js';

/** Folder entries as the list shows them, newest first, each with its conversation's id within the list. */
export function summariesOf(entries: FolderEntry[]): MessageSummary[] {
  const threads = threadIds(entries);
  return entries
    .map((e) => ({
      id: e.id,
      folder: e.folder,
      from: e.from,
      to: e.to.split(',').map((a) => a.trim()).filter(Boolean),
      subject: e.subject,
      date: e.date,
      encrypted: e.encrypted,
      signed: e.signed,
      seen: e.seen,
      flagged: e.flagged,
      threadId: threads.get(e)!,
      size: e.size,
    }))
    .reverse();
}

export class ClientMailOperations implements MailOperationsService {
  /** `protectedSubjects`: the user's remembered protected Subjects (protected-subjects.ts), shown in searches and conversations as in lists. */
  constructor(
    private readonly mailSession: (user: string) => Promise<MailSession>,
    private readonly protectedSubjects: (user: string) => Promise<ReadonlyMap<string, string>> = async () => new Map(),
  ) {}

  private async mailbox(user: string) {
    return (await this.mailSession(user)).user.mailbox;
  }

  async deleteMessage(user: string, folder: string, id: string): Promise<DeleteResult> {
    return deleteMessage(await this.mailbox(user), folder, id);
  }

  async moveMessage(user: string, folder: string, id: string, target: string): Promise<{ folder: string; id: string }> {
    return moveMessage(await this.mailbox(user), folder, id, target);
  }

  async archiveMessage(user: string, folder: string, id: string): Promise<{ folder: string; id: string }> {
    return archiveMessage(await this.mailbox(user), folder, id);
  }

  async setFlags(user: string, folder: string, id: string, flags: { seen?: boolean; flagged?: boolean }): Promise<void> {
    await setMessageFlags(await this.mailbox(user), folder, id, flags);
  }

  async search(user: string, folder: string, criteria: SearchCriteria): Promise<MessageSummary[]> {
    const since = searchDay('since', criteria.since);
    const before = searchDay('before', criteria.before);
    const search: MailSearch = {
      ...(criteria.from ? { from: criteria.from } : {}),
      ...(criteria.subject ? { subject: criteria.subject } : {}),
      ...(since ? { since } : {}),
      ...(before ? { before } : {}),
      ...(criteria.hasAttachment !== undefined ? { hasAttachment: criteria.hasAttachment } : {}),
    };
    return summariesOf(withProtectedSubjects(await searchFolder(await this.mailbox(user), folder, search), await this.protectedSubjects(user)));
  }

  async conversation(user: string, folder: string, id: string): Promise<MessageSummary[]> {
    return summariesOf(withProtectedSubjects(await conversation(await this.mailbox(user), folder, id), await this.protectedSubjects(user))).reverse();
  }
}
