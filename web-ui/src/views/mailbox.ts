/** Folders, the message list with search, and the frame the other views open in. */
import { getJson } from '../api.js';
import { clear, h, icon } from '../dom.js';
import type { FolderSummary, MessageSummary } from '../types.js';

export const FOLDERS = ['INBOX', 'Sent', 'Drafts', 'Outbox'];
/** The role folders in the order mail clients show them, when the account has them; then the others by name. */
const ROLE_ORDER = ['INBOX', 'Drafts', 'Sent', 'Outbox', 'Archive', 'Junk', 'Trash'];

/** Said by a view that changed what the folders hold; main.ts redraws the counts beside them. */
export const FOLDERS_CHANGED = 'cachet:folders-changed';
export const announceFoldersChanged = (): void => void window.dispatchEvent(new CustomEvent(FOLDERS_CHANGED));

export function folderNav(current: string, folders: FolderSummary[]): HTMLElement {
  const counts = new Map(folders.map((f) => [f.name, f]));
  const known = new Set([...FOLDERS, ...folders.map((f) => f.name)]);
  const names = [...ROLE_ORDER.filter((n) => known.has(n)), ...[...known].filter((n) => !ROLE_ORDER.includes(n)).sort()];
  return h(
    'nav',
    { className: 'folders', 'aria-label': 'Folders' },
    h(
      'ul',
      {},
      ...names.map((name) => {
        const info = counts.get(name);
        return h(
          'li',
          {},
          h(
            'a',
            { href: `#/folder/${encodeURIComponent(name)}`, 'aria-current': name === current ? 'page' : undefined, className: name === current ? 'active' : '' },
            h('span', { className: 'folder-name' }, name === 'INBOX' ? 'Inbox' : name),
            info && info.unread > 0 ? h('span', { className: 'badge', 'aria-label': `${info.unread} unread` }, String(info.unread)) : null,
            info ? h('span', { className: 'folder-total', 'aria-label': `${info.total} in all` }, String(info.total)) : null,
          ),
        );
      }),
    ),
    h('a', { href: '#/compose', className: 'button primary compose-button' }, 'Compose'),
    h('a', { href: '#/settings', className: 'nav-link' }, 'Settings'),
    h('a', { href: '#/certificates', className: 'nav-link' }, 'Certificates'),
    h('a', { href: '#/admin', className: 'nav-link' }, 'Policy'),
  );
}

const CONVERSATIONS_KEY = 'cachet.conversations';

/** One row per conversation (its newest message, with the count), when the user asked for it. */
function grouped(messages: MessageSummary[]): Array<{ message: MessageSummary; count: number }> {
  if (localStorage.getItem(CONVERSATIONS_KEY) !== 'on') return messages.map((message) => ({ message, count: 1 }));
  const threads = new Map<string, { message: MessageSummary; count: number }>();
  for (const message of messages) {
    const key = message.threadId ?? `${message.folder}/${message.id}`;
    const thread = threads.get(key);
    // Newest first already: the first met is the conversation's latest; unread if any message is.
    if (thread) {
      thread.count++;
      if (!message.seen) thread.message = { ...thread.message, seen: false };
    } else threads.set(key, { message, count: 1 });
  }
  return [...threads.values()];
}

function conversationToggle(redraw: () => void): HTMLElement {
  const box = h('input', { type: 'checkbox', id: 'group-conversations' });
  box.checked = localStorage.getItem(CONVERSATIONS_KEY) === 'on';
  box.addEventListener('change', () => {
    localStorage.setItem(CONVERSATIONS_KEY, box.checked ? 'on' : 'off');
    redraw();
  });
  return h('label', { className: 'toggle conversation-toggle', for: 'group-conversations' }, box, ' Group by conversation');
}

/** `signal`: the route's (main.ts): aborted, the listing is cancelled and nothing is drawn. */
export async function messageList(folder: string, query: string, container: HTMLElement, signal?: AbortSignal): Promise<void> {
  clear(container);
  const progress = h('p', { className: 'progress', role: 'progressbar', 'aria-busy': 'true' }, `Syncing ${folder === 'INBOX' ? 'Inbox' : folder}…`);
  container.append(progress);
  const messages = await getJson<MessageSummary[]>(`/api/folders/${encodeURIComponent(folder)}/messages${query ? `?q=${encodeURIComponent(query)}` : ''}`, signal);
  renderMessages(folder, messages, container, query ? 'No message matches.' : 'No messages.');
}

/** The rows of a list (a folder, a search's matches), newest first. */
export function renderMessages(folder: string, messages: MessageSummary[], container: HTMLElement, emptyText: string): void {
  clear(container);
  if (messages.length === 0) {
    container.append(h('p', { className: 'muted empty' }, emptyText));
    return;
  }
  const list = h('ul', { className: 'message-list', 'aria-label': 'Messages' });
  const draw = () =>
    list.replaceChildren(
      ...grouped(messages).map(({ message: m, count }) =>
        h(
          'li',
          { className: m.seen ? 'seen' : 'unseen' },
          h(
            'a',
            { href: `#/message/${encodeURIComponent(m.folder)}/${encodeURIComponent(m.id)}`, 'data-testid': 'message-link' },
            // Isolated (bdi): a bidi override in one message's From or Subject cannot reorder the list.
            h('span', { className: 'from' }, h('bdi', {}, folder === 'Sent' || folder === 'Outbox' ? `To: ${m.to.join(', ')}` : m.from)),
            h('span', { className: 'subject' }, h('bdi', {}, m.subject || '(no subject)')),
            h(
              'span',
              { className: 'flags' },
              count > 1 ? h('span', { className: 'thread-count', 'data-testid': 'thread-count', 'aria-label': `${count} messages in this conversation` }, String(count)) : null,
              m.flagged ? icon('flag', 'Flagged') : null,
              m.encrypted ? icon('lock', 'Encrypted') : null,
              m.signed ? icon('seal', 'Signed (not yet verified)') : null,
              h('time', {}, m.date ? new Date(m.date).toLocaleString() : ''),
            ),
          ),
        ),
      ),
    );
  draw();
  container.append(conversationToggle(draw), list);
}

export function searchBox(folder: string, initial: string): HTMLElement {
  const input = h('input', { type: 'search', id: 'search', name: 'q', value: initial, placeholder: 'Search sender or subject', 'aria-label': 'Search by sender or subject' });
  const form = h('form', { className: 'search', role: 'search' }, input, h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/folder/${encodeURIComponent(folder)}${input.value ? `?q=${encodeURIComponent(input.value)}` : ''}`;
  });
  return form;
}
