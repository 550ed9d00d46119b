/**
 * The message view's actions (reply, reply all, forward inline or as attachment, archive, delete,
 * move, flag, mark unread) and its conversation: the other messages of its thread, from the folder
 * and Sent, in the order they were written.
 */
import { getJson } from '../api.js';
import { h } from '../dom.js';
import { archiveMessage, deleteMessage, forward, markUnread, moveMessage, replyAll, setFlagged, type MessageRef } from '../mail-actions.js';
import type { FolderSummary, MessageSummary, MessageView } from '../types.js';

const label = (folder: string) => (folder === 'INBOX' ? 'Inbox' : folder);

function moveMenu(message: MessageRef, folders: FolderSummary[]): HTMLElement {
  const targets = [...new Set(['INBOX', 'Archive', ...folders.map((f) => f.name)])].filter((f) => f !== message.folder && f !== 'Outbox' && f !== 'Trash' && f !== 'Drafts');
  const select = h('select', { id: 'move-target', 'aria-label': 'Move to folder' }, h('option', { value: '' }, 'Move to…'), ...targets.map((name) => h('option', { value: name }, label(name))));
  select.addEventListener('change', () => {
    if (select.value) void moveMessage(message, select.value);
  });
  return select;
}

function forwardMenu(message: MessageRef): HTMLElement {
  // A disclosure, not a pop-up menu: two plain buttons a touch or a Tab reaches.
  const details = h('details', { className: 'forward-menu' }, h('summary', { className: 'button' }, 'Forward'));
  details.append(
    h('div', { className: 'forward-choices' },
      h('button', { type: 'button', onclick: () => forward(message, 'inline') }, 'Forward inline'),
      h('button', { type: 'button', onclick: () => forward(message, 'attachment') }, 'Forward as attachment'),
    ),
  );
  return details;
}

export async function messageToolbar(view: MessageView, signal?: AbortSignal): Promise<HTMLElement> {
  const folders = await getJson<FolderSummary[]>('/api/folders', signal).catch(() => [] as FolderSummary[]);
  const flagged = view.flagged === true;
  const message = { folder: view.folder, id: view.id };
  const flag = h('button', { type: 'button', 'aria-pressed': String(flagged), 'data-testid': 'flag' }, flagged ? 'Unflag' : 'Flag');
  flag.addEventListener('click', () => {
    const next = flag.getAttribute('aria-pressed') !== 'true';
    void setFlagged(message, next).then((done) => {
      if (!done) return;
      flag.setAttribute('aria-pressed', String(next));
      flag.textContent = next ? 'Unflag' : 'Flag';
    });
  });
  const inTrash = view.folder === 'Trash';
  return h(
    'div',
    { className: 'message-toolbar', role: 'toolbar', 'aria-label': 'Message actions' },
    h('a', { className: 'button', href: `#/compose?reply=${encodeURIComponent(view.folder)}/${encodeURIComponent(view.id)}` }, 'Reply'),
    h('button', { type: 'button', onclick: () => replyAll(message) }, 'Reply all'),
    forwardMenu(message),
    view.folder === 'Archive' ? null : h('button', { type: 'button', onclick: () => void archiveMessage(message) }, 'Archive'),
    h('button', { type: 'button', className: inTrash ? 'danger' : '', onclick: () => void deleteMessage(message) }, inTrash ? 'Delete for good' : 'Delete'),
    moveMenu(message, folders),
    flag,
    h('button', { type: 'button', onclick: () => void markUnread(message) }, 'Mark unread'),
  );
}

/** The thread of the message, when it has one; the message itself is marked as the one shown. */
export async function conversationSection(view: MessageView, signal?: AbortSignal): Promise<HTMLElement | null> {
  const thread = await getJson<MessageSummary[]>(`/api/folders/${encodeURIComponent(view.folder)}/messages/${encodeURIComponent(view.id)}/conversation`, signal).catch(() => []);
  if (thread.length < 2) return null;
  return h(
    'section',
    { className: 'conversation', 'aria-label': 'Conversation' },
    h('h2', {}, `Conversation (${thread.length} messages)`),
    h(
      'ol',
      {},
      ...thread.map((m) => {
        const current = m.folder === view.folder && m.id === view.id;
        const text = [h('bdi', { className: 'conversation-from' }, m.folder === 'Sent' ? `You to ${m.to.join(', ')}` : m.from), ' · ', h('bdi', {}, m.subject || '(no subject)'), h('span', { className: 'muted' }, ` · ${m.date ? new Date(m.date).toLocaleString() : ''}`)];
        return h(
          'li',
          { className: current ? 'current' : '' },
          current ? h('span', { 'aria-current': 'true' }, ...text, ' (shown)') : h('a', { href: `#/message/${encodeURIComponent(m.folder)}/${encodeURIComponent(m.id)}`, 'data-testid': 'conversation-link' }, ...text),
        );
      }),
    ),
  );
}
