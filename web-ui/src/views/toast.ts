/**
 * A short notice with one action ("Moved to Trash — Undo"), outside the views so a view change does
 * not take it away. Its action is reachable from the keyboard: focus moves to it when it appears, and
 * Escape closes it. It stays while focus is in it; otherwise it goes after a while.
 */
import { h } from '../dom.js';

const SHOWN_MS = 10_000;

let region: HTMLElement | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;

function toastRegion(): HTMLElement {
  if (region?.isConnected) return region;
  region = h('div', { className: 'toast-region', role: 'region', 'aria-label': 'Notifications' });
  document.body.append(region);
  return region;
}

export function dismissToast(): void {
  clearTimeout(timer);
  region?.replaceChildren();
}

/** Shows `text` with a button for `action`; the button runs it once, then the toast closes. */
export function showToast(text: string, action?: { label: string; run: () => Promise<void> }): void {
  dismissToast();
  const area = toastRegion();
  const toast = h('div', { className: 'toast', role: 'status', 'data-testid': 'toast' }, h('span', {}, text));
  const close = h('button', { type: 'button', className: 'toast-close', 'aria-label': 'Close notification' }, '×');
  close.addEventListener('click', dismissToast);
  let button: HTMLButtonElement | null = null;
  if (action) {
    const actionButton = h('button', { type: 'button', className: 'toast-action' }, action.label);
    actionButton.addEventListener('click', () => {
      // Closed first: what the action says next (a new toast) is not closed with it.
      dismissToast();
      void action.run();
    });
    button = actionButton;
  }
  toast.append(...(button ? [button] : []), close);
  toast.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      dismissToast();
      document.querySelector<HTMLElement>('main h1')?.focus();
    }
  });
  const later = () => {
    timer = setTimeout(() => (toast.contains(document.activeElement) ? later() : dismissToast()), SHOWN_MS);
  };
  later();
  area.append(toast);
  button?.focus();
}
