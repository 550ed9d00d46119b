/**
 * Search of one folder on the mail server (IMAP SEARCH): sender, subject, a date range, with or
 * without attachments. Its limits are said where it is used: the server reads only what is in clear,
 * so an encrypted message is found by its sender and date, never by its protected subject or content.
 */
import { getJson } from '../api.js';
import { h } from '../dom.js';
import type { MessageSummary } from '../types.js';
import { renderMessages } from './mailbox.js';

const FIELDS = ['from', 'subject', 'since', 'until', 'attachment'] as const;

export function isServerSearch(query: URLSearchParams): boolean {
  return FIELDS.some((name) => (query.get(name) ?? '') !== '');
}

/** The day after an ISO date: "until" is inclusive on the page, the server's `before` is not. */
function dayAfter(iso: string): string {
  const date = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return iso;
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

export const SERVER_SEARCH_LIMITS =
  'The mail server searches what it can read: the sender, the subject as sent and the date. An encrypted message’s subject and content are not searched — the server cannot read them, and Cachet never gives them to it.';

export function serverSearchForm(folder: string, query: URLSearchParams): HTMLElement {
  const field = (name: string, labelText: string, type = 'text') => {
    const input = h('input', { id: `search-${name}`, name, type, value: query.get(name) ?? '', autocomplete: 'off', autocapitalize: 'off' });
    return { input, element: h('div', { className: 'search-field' }, h('label', { for: `search-${name}` }, labelText), input) };
  };
  const from = field('from', 'Sender');
  const subject = field('subject', 'Subject');
  const since = field('since', 'Sent on or after', 'date');
  const until = field('until', 'Sent on or before', 'date');
  const attachment = h(
    'select',
    { id: 'search-attachment', name: 'attachment' },
    h('option', { value: '' }, 'With or without'),
    h('option', { value: 'yes' }, 'With attachments'),
    h('option', { value: 'no' }, 'Without attachments'),
  );
  attachment.value = query.get('attachment') ?? '';
  const form = h(
    'form',
    { className: 'server-search', role: 'search', 'aria-label': 'Search on the mail server' },
    h('div', { className: 'search-fields' }, from.element, subject.element, since.element, until.element, h('div', { className: 'search-field' }, h('label', { for: 'search-attachment' }, 'Attachments'), attachment)),
    h('p', { className: 'muted search-limits', 'data-testid': 'search-limits' }, SERVER_SEARCH_LIMITS),
    h('button', { type: 'submit', className: 'primary' }, 'Search on the server'),
    isServerSearch(query) ? h('a', { className: 'button', href: `#/folder/${encodeURIComponent(folder)}` }, 'Clear search') : null,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of [['from', from.input.value], ['subject', subject.input.value], ['since', since.input.value], ['until', until.input.value], ['attachment', attachment.value]]) {
      if (value!.trim() !== '') next.set(name!, value!.trim());
    }
    location.hash = `#/folder/${encodeURIComponent(folder)}${next.size > 0 ? `?${next.toString()}` : ''}`;
  });
  return h('details', { className: 'server-search-panel', ...(isServerSearch(query) ? { open: true } : {}) }, h('summary', {}, 'Search on the server'), form);
}

/** `signal`: the route's (main.ts): aborted, the search is cancelled and nothing is drawn. */
export async function serverSearchResults(folder: string, query: URLSearchParams, container: HTMLElement, signal?: AbortSignal): Promise<void> {
  container.replaceChildren(h('p', { className: 'progress', role: 'progressbar', 'aria-busy': 'true' }, 'Searching on the server…'));
  const ask = new URLSearchParams();
  for (const name of ['from', 'subject', 'since', 'attachment']) {
    const value = query.get(name);
    if (value) ask.set(name, value);
  }
  const until = query.get('until');
  if (until) ask.set('before', dayAfter(until));
  const found = await getJson<MessageSummary[]>(`/api/folders/${encodeURIComponent(folder)}/search?${ask.toString()}`, signal);
  renderMessages(folder, found, container, 'No message matches on the server.');
  container.prepend(h('p', { className: 'search-summary', role: 'status', 'data-testid': 'search-summary' }, `${found.length === 1 ? '1 message' : `${found.length} messages`} found by the mail server.`));
}
