/**
 * The web mail client: a small single-page app with hash routes. All S/MIME work is done by the
 * server; the page shows results and never holds a private key.
 */
import './styles.css';
import { ApiError, getJson, sendJson, setCsrfToken } from './api.js';
import { clear, h } from './dom.js';
import type { FolderSummary } from './types.js';
import { composeView } from './views/compose.js';
import { loginView } from './views/login.js';
import { FOLDERS_CHANGED, folderNav, messageList, searchBox } from './views/mailbox.js';
import { isServerSearch, serverSearchForm, serverSearchResults } from './views/server-search.js';
import { composeExtrasOf } from './compose-prefill.js';
import { installMailActionShortcuts } from './mail-actions.js';
import { messageView } from './views/message.js';
import { policyView, settingsView } from './views/settings.js';
import { outboxView } from './views/outbox.js';
import { forgetBrowserDrafts } from './drafts.js';
import { installKeyboardShortcuts } from './keyboard.js';
import { notificationControl, notifyNewMail } from './notifications.js';
import { registerServiceWorker } from './pwa.js';
import { certificatesView, expiryBanner, forgetCertificates } from './views/certificates.js';

const root = document.getElementById('app')!;
let user: string | null = null;
/** New mail pushed by the server (server-sent events): open while signed in. */
let events: EventSource | null = null;

function followEvents(): void {
  if (!user) {
    events?.close();
    events = null;
    return;
  }
  if (events) return;
  events = new EventSource('/api/events');
  events.addEventListener('mail', newMail);
  events.addEventListener('ready', () => void catchUpOnMail());
}

function newMail(): void {
  // Only a folder view is redrawn: a message being read or written is never replaced under the user.
  if (addressed().section === 'folder') void route(false);
  void notifyNewMail();
}

/**
 * The server watches the INBOX from its event stream's "ready" on (at sign-in, and again after a lost
 * connection): a mail that came before — after the view asked for its list — is in no "mail" event.
 * The INBOX's total is asked again; one other than the folder list shows is taken as new mail.
 */
async function catchUpOnMail(): Promise<void> {
  const shown = document.querySelector('#sidebar nav.folders a[href="#/folder/INBOX"] .folder-total')?.textContent;
  if (shown === undefined || shown === null) return;
  const folders = await getJson<FolderSummary[]>('/api/folders').catch(() => null);
  const total = folders?.find((f) => f.name === 'INBOX')?.total;
  if (total !== undefined && String(total) !== shown) newMail();
}

function shell(current: string, folders: FolderSummary[]): { main: HTMLElement; sidebar: HTMLElement } {
  clear(root);
  const menu = h('button', { type: 'button', className: 'menu-button', 'aria-expanded': 'false', 'aria-controls': 'sidebar' }, 'Menu');
  const sidebar = h('div', { id: 'sidebar', className: 'sidebar' }, folderNav(current, folders), notificationControl());
  menu.addEventListener('click', () => {
    const open = sidebar.classList.toggle('open');
    menu.setAttribute('aria-expanded', String(open));
  });
  const logout = h('button', { type: 'button', className: 'link-button' }, 'Sign out');
  logout.addEventListener('click', async () => {
    await sendJson('POST', '/api/logout', {});
    forgetBrowserDrafts();
    user = null;
    forgetCertificates();
    followEvents();
    location.hash = '#/';
    void route();
  });
  const main = h('main', { className: 'content', id: 'main', tabindex: '-1' });
  root.append(
    h('a', { href: '#main', className: 'skip-link' }, 'Skip to content'),
    h('header', { className: 'topbar' }, menu, h('span', { className: 'brand' }, 'Cachet Mail'), h('span', { className: 'user' }, user ?? ''), logout),
    h('div', { className: 'layout' }, sidebar, main),
  );
  return { main, sidebar };
}

/** Moves focus to the new view's heading, so keyboard and screen-reader users start where the view does. */
function focusHeading(main: HTMLElement): void {
  const heading = main.querySelector('h1');
  // An Undo just offered (views/toast.ts) keeps the focus: the view changed because of that action.
  if (!heading || document.activeElement?.closest('.toast')) return;
  heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: false });
}

/** The view being drawn: a newer route aborts it (its requests cancelled, its drawing and side effects stopped). */
let drawing: AbortController | undefined;

/**
 * A user's move whose view was overtaken before it was drawn (new mail redrew the folder meanwhile):
 * the view that replaces it still owes the user the focus on its heading.
 */
let focusOwed = false;

/** What the address names: the section (folder, message, compose …), its parts, the folder shown (or ''), the query. */
function addressed(): { query: URLSearchParams; parts: string[]; section: string; folder: string } {
  const [path = '', queryString = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const section = parts[0] ?? 'folder';
  return { query: new URLSearchParams(queryString), parts, section, folder: section === 'folder' || section === 'message' ? parts[1] ?? 'INBOX' : '' };
}

/** Draws the view the address names; `moveFocus` is false when the page redraws itself (new mail), not on a user's move. */
async function route(moveFocus = true): Promise<void> {
  focusOwed ||= moveFocus;
  // Views drawn one after another (sign-in sets the address and draws; a quick second click): only
  // the newest goes on; an older one still waiting for the server is cancelled, never paints over it.
  drawing?.abort();
  const controller = new AbortController();
  drawing = controller;
  const { signal } = controller;
  if (!user) {
    const session = await getJson<{ user: string | null; csrfToken?: string }>('/api/session', signal).catch(() => null);
    if (signal.aborted) return;
    if (!session) {
      // Offline (the installed app opened from the home screen): the shell says so instead of staying blank.
      clear(root);
      root.append(h('main', { className: 'login-page' }, h('div', { className: 'card' }, h('h1', {}, 'Cachet Mail'), h('p', { role: 'alert' }, 'The server cannot be reached. Check your connection, then reload.'))));
      return;
    }
    if (session.user && session.csrfToken) {
      user = session.user;
      setCsrfToken(session.csrfToken);
    }
  }
  followEvents();
  if (!user) {
    clear(root);
    root.append(
      loginView((name) => {
        user = name;
        forgetCertificates();
        // Back where the user was when the session ended (a draft, after the idle lock); else the Inbox.
        if (!location.hash || location.hash === '#/') history.replaceState(null, '', '#/folder/INBOX');
        void route();
      }),
    );
    return;
  }
  const { query, parts, section, folder } = addressed();
  const folders = await getJson<FolderSummary[]>('/api/folders', signal).catch(() => [] as FolderSummary[]);
  if (signal.aborted) return;
  const { main, sidebar } = shell(folder, folders);
  try {
    if (section === 'message' && folder === 'Drafts' && parts[2]) await composeView(main, null, '', parts[2], {}, signal);
    else if (section === 'message' && parts[2]) {
      await messageView(folder, parts[2], main, signal);
      // Opening marked it read: the unread counts are asked again, not left as they were before.
      const fresh = await getJson<FolderSummary[]>('/api/folders', signal).catch(() => null);
      if (fresh && !signal.aborted) sidebar.replaceChildren(folderNav(folder, fresh));
    }
    else if (section === 'compose') {
      const reply = query.get('reply');
      const [replyFolder, replyId] = reply ? reply.split('/').map(decodeURIComponent) : [];
      await composeView(main, replyFolder && replyId ? { folder: replyFolder, id: replyId } : null, query.get('to') ?? '', query.get('draft'), composeExtrasOf(query), signal);
    } else if (section === 'settings') await settingsView(main, signal);
    else if (section === 'certificates') await certificatesView(main, undefined, signal);
    else if (section === 'admin') await policyView(main, signal);
    else if (section === 'folder' && folder === 'Outbox') await outboxView(main, signal);
    else {
      const list = h('div', { className: 'list-container' });
      main.append(h('h1', { className: 'folder-title' }, folder === 'INBOX' ? 'Inbox' : folder), searchBox(folder, query.get('q') ?? ''), serverSearchForm(folder, query), list);
      await (isServerSearch(query) ? serverSearchResults(folder, query, list, signal) : messageList(folder, query.get('q') ?? '', list, signal));
    }
  } catch (e) {
    // Overtaken by a newer view: its abort is no error to show, and this view draws nothing more.
    if (signal.aborted) return;
    if (e instanceof ApiError && e.status === 401) {
      user = null;
      void route();
      return;
    }
    clear(main);
    main.append(h('p', { className: 'form-error', role: 'alert' }, e instanceof ApiError ? e.message : 'Something went wrong'));
  }
  if (signal.aborted) return;
  if (focusOwed) {
    focusOwed = false;
    focusHeading(main);
  }
  // An active certificate near its end is said on every view (Certificates says it itself).
  if (section !== 'certificates') void expiryBanner().then((banner) => banner && !signal.aborted && main.prepend(banner));
}

window.addEventListener('hashchange', () => void route());
// A view changed what the folders hold (a mail sent or left in the Outbox, a draft saved, an Outbox
// retry): the counts beside the folders are asked again, not left as the view found them.
window.addEventListener(FOLDERS_CHANGED, () => {
  const nav = document.querySelector('#sidebar nav.folders');
  if (!nav) return;
  void getJson<FolderSummary[]>('/api/folders')
    .then((fresh) => nav.isConnected && nav.replaceWith(folderNav(addressed().folder, fresh)))
    .catch(() => undefined);
});
// A request outside a view's drawing found the session over (the draft autosave, after the idle lock).
window.addEventListener('cachet:session-ended', () => {
  user = null;
  void route();
});
installKeyboardShortcuts();
installMailActionShortcuts();
registerServiceWorker();
// A link to the view already shown (Compose while composing) opens it afresh: the hash does not change.
document.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[href^="#"]') : null;
  if (link && link.getAttribute('href') === location.hash && link.getAttribute('href') !== '#main') {
    event.preventDefault();
    void route();
  }
});
void route();
