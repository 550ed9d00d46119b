/** Folders, the message list with search, and the frame the other views open in. */
import { getJson } from '../api.js';
import { clear, h, icon } from '../dom.js';
import type { FolderSummary, MessageSummary } from '../types.js';

export const FOLDERS = ['INBOX', 'Sent', 'Drafts', 'Outbox'];

export function folderNav(current: string, folders: FolderSummary[]): HTMLElement {
  const counts = new Map(folders.map((f) => [f.name, f]));
  const names = [...FOLDERS, ...folders.map((f) => f.name).filter((n) => !FOLDERS.includes(n))];
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
            name === 'INBOX' ? 'Inbox' : name,
            info && info.unread > 0 ? h('span', { className: 'badge', 'aria-label': `${info.unread} unread` }, String(info.unread)) : null,
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

export async function messageList(folder: string, query: string, container: HTMLElement): Promise<void> {
  clear(container);
  const progress = h('p', { className: 'progress', role: 'progressbar', 'aria-busy': 'true' }, `Syncing ${folder === 'INBOX' ? 'Inbox' : folder}…`);
  container.append(progress);
  const messages = await getJson<MessageSummary[]>(`/api/folders/${encodeURIComponent(folder)}/messages${query ? `?q=${encodeURIComponent(query)}` : ''}`);
  clear(container);
  if (messages.length === 0) {
    container.append(h('p', { className: 'muted empty' }, query ? 'No message matches.' : 'No messages.'));
    return;
  }
  container.append(
    h(
      'ul',
      { className: 'message-list', 'aria-label': 'Messages' },
      ...messages.map((m) =>
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
              m.encrypted ? icon('lock', 'Encrypted') : null,
              m.signed ? icon('seal', 'Signed (not yet verified)') : null,
              h('time', {}, m.date ? new Date(m.date).toLocaleString() : ''),
            ),
          ),
        ),
      ),
    ),
  );
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
