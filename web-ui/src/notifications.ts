/**
 * The optional new-mail notification. Permission is asked only when the user presses the button
 * (never on load); once on, new mail pushed by the server (the event stream in main.ts) shows the
 * sender and a neutral text — never the subject or anything of the content, which may be encrypted.
 * Only while the user is not looking at the page: in front of it, the list updating is enough.
 */
import { getJson } from './api.js';
import { h } from './dom.js';
import type { MessageSummary } from './types.js';

/** The user's choice in this browser ("on"); the browser's permission is asked separately, once. */
const CHOICE_KEY = 'cachet.notifications';
let lastNotified: string | null = null;

const supported = (): boolean => typeof Notification !== 'undefined';
const enabled = (): boolean => supported() && Notification.permission === 'granted' && localStorage.getItem(CHOICE_KEY) === 'on';

/** A button in the sidebar that turns notifications on or off, and says why it cannot when it cannot. */
export function notificationControl(): HTMLElement {
  const button = h('button', { type: 'button', className: 'notify-button', 'aria-pressed': String(enabled()) });
  const note = h('p', { className: 'muted notify-note', role: 'status' });
  const draw = () => {
    button.textContent = enabled() ? 'Notifications on' : 'Notify me of new mail';
    button.setAttribute('aria-pressed', String(enabled()));
  };
  button.addEventListener('click', async () => {
    note.textContent = '';
    if (!supported()) {
      note.textContent = 'This browser cannot show notifications.';
      return;
    }
    if (enabled()) localStorage.removeItem(CHOICE_KEY);
    else {
      const permission = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
      if (permission === 'granted') localStorage.setItem(CHOICE_KEY, 'on');
      else note.textContent = 'Notifications are blocked for this site in the browser’s settings.';
    }
    draw();
  });
  draw();
  return h('div', { className: 'notify' }, button, note);
}

/** Called when the server says the Inbox changed: one notification for the newest unread message. */
export async function notifyNewMail(): Promise<void> {
  if (!enabled() || (document.visibilityState === 'visible' && document.hasFocus())) return;
  const messages = await getJson<MessageSummary[]>('/api/folders/INBOX/messages').catch(() => [] as MessageSummary[]);
  const newest = messages.find((m) => !m.seen);
  if (!newest || newest.id === lastNotified) return;
  lastNotified = newest.id;
  const notification = new Notification(newest.from || 'New mail', { body: 'New message in your Inbox', tag: 'cachet-new-mail', icon: '/icons/icon-192.png' });
  notification.addEventListener('click', () => {
    window.focus();
    location.hash = `#/message/INBOX/${encodeURIComponent(newest.id)}`;
  });
}
