/**
 * Conversations, from the messages' own header fields (RFC 5322 §3.6.4): a message belongs with
 * every message its References (or In-Reply-To) name, and with those that name it. Messages are
 * joined through the ids they share, even when the message in between is missing (deleted, or in
 * another folder), as JWZ's threading does without its subject guessing: a shared Subject alone
 * never joins two messages.
 */
import type { FolderEntry } from './folder-listing.js';

type Threadable = Pick<FolderEntry, 'id' | 'folder' | 'messageId' | 'references'>;

/** Each entry's thread id: the earliest id of its conversation that any of them names (its root, usually). */
export function threadIds<T extends Threadable>(entries: readonly T[]): Map<T, string> {
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    let root = id;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    // Path compression: every id on the way points at the root, so later finds are short.
    for (let node = id; node !== root; ) {
      const next = parent.get(node)!;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  const add = (id: string) => {
    if (!parent.has(id)) parent.set(id, id);
  };
  const union = (a: string, b: string) => {
    const [ra, rb] = [find(a), find(b)];
    // The root that was seen first stays the root: the thread keeps the id of its start.
    if (ra !== rb) parent.set(rb, ra);
  };
  const own = (entry: T) => entry.messageId ?? `${entry.folder}/${entry.id}`;
  for (const entry of entries) {
    // A message's references first: the thread's start is named before the message itself.
    for (const id of entry.references) add(id);
    add(own(entry));
    for (const id of entry.references) union(entry.references[0]!, id);
    if (entry.references[0]) union(entry.references[0], own(entry));
  }
  return new Map(entries.map((entry) => [entry, find(own(entry))]));
}

/** The conversation `target` is in, oldest first, from `entries` (its folder, the Sent folder…); each Message-ID once. */
export function conversationOf<T extends Threadable & { date: string }>(entries: readonly T[], target: T): T[] {
  const ids = threadIds(entries);
  const thread = ids.get(target);
  const seen = new Set<string>();
  return entries
    .filter((entry) => ids.get(entry) === thread)
    .filter((entry) => {
      if (!entry.messageId) return true;
      if (seen.has(entry.messageId)) return false;
      seen.add(entry.messageId);
      return true;
    })
    .sort((a, b) => new Date(a.date).getTime() - new Date(b.date).getTime());
}
