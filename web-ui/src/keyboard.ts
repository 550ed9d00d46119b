/**
 * Keyboard shortcuts for the common actions, in one place: c compose, r reply, a reply all, f forward,
 * / search, j/k next/previous message, Delete or # delete, ? the list. A key does nothing while the
 * user types in a field, or with Ctrl, Alt or Meta held (the browser's and the screen reader's own).
 *
 * Actions that live in other modules are hooks: a view or feature registers its function with
 * `setShortcutAction('delete', …)` (and null when it goes), and the key calls it; until then the key
 * does nothing and the list says "not available here".
 */
import { h } from './dom.js';

export type ShortcutAction = 'compose' | 'reply' | 'replyAll' | 'forward' | 'search' | 'next' | 'previous' | 'delete' | 'help';

export const SHORTCUTS: ReadonlyArray<{ keys: string[]; action: ShortcutAction; description: string }> = [
  { keys: ['c'], action: 'compose', description: 'Write a new message' },
  { keys: ['r'], action: 'reply', description: 'Reply to the open message' },
  { keys: ['a'], action: 'replyAll', description: 'Reply to all' },
  { keys: ['f'], action: 'forward', description: 'Forward the open message' },
  { keys: ['/'], action: 'search', description: 'Search this folder' },
  { keys: ['j'], action: 'next', description: 'Next message' },
  { keys: ['k'], action: 'previous', description: 'Previous message' },
  { keys: ['Delete', '#'], action: 'delete', description: 'Delete the open or selected message' },
  { keys: ['?'], action: 'help', description: 'Show this list' },
];

const hooks = new Map<ShortcutAction, () => void>();

/** Registers (or, with null, removes) what a key does; the built-in actions can be replaced the same way. */
export function setShortcutAction(action: ShortcutAction, run: (() => void) | null): void {
  if (run) hooks.set(action, run);
  else hooks.delete(action);
}

/** The message the address shows (#/message/FOLDER/ID), if any. */
function openMessage(): { folder: string; id: string } | null {
  const parts = location.hash.replace(/^#\/?/, '').split('?')[0]!.split('/').map(decodeURIComponent);
  return parts[0] === 'message' && parts[1] && parts[2] ? { folder: parts[1], id: parts[2] } : null;
}

/** Moves the focus along the message list (j/k); the first key focuses the first message. */
function moveInList(step: 1 | -1): void {
  const links = Array.from(document.querySelectorAll<HTMLAnchorElement>('[data-testid="message-link"]'));
  if (links.length === 0) return;
  const at = links.indexOf(document.activeElement as HTMLAnchorElement);
  const next = at < 0 ? (step === 1 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step));
  links[next]!.focus();
}

const BUILT_IN: Partial<Record<ShortcutAction, () => void>> = {
  compose: () => {
    location.hash = '#/compose';
  },
  reply: () => {
    const open = openMessage();
    if (open) location.hash = `#/compose?reply=${encodeURIComponent(open.folder)}/${encodeURIComponent(open.id)}`;
  },
  search: () => document.getElementById('search')?.focus(),
  next: () => moveInList(1),
  previous: () => moveInList(-1),
  help: () => showShortcutList(),
};

function actionFor(action: ShortcutAction): (() => void) | undefined {
  return hooks.get(action) ?? BUILT_IN[action];
}

function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement || (target instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit'].includes(target.type));
}

/** The list of shortcuts, in a modal dialog that gives the focus back where it was when closed. */
export function showShortcutList(): void {
  if (document.getElementById('shortcut-list')) return;
  const close = h('button', { type: 'button' }, 'Close');
  const dialog = h(
    'dialog',
    { id: 'shortcut-list', className: 'shortcut-list card', 'aria-labelledby': 'shortcut-list-title' },
    h('h2', { id: 'shortcut-list-title' }, 'Keyboard shortcuts'),
    h(
      'dl',
      {},
      ...SHORTCUTS.map((s) =>
        h('div', { className: 'shortcut' }, h('dt', {}, ...s.keys.flatMap((k, i) => [i > 0 ? ' or ' : null, h('kbd', {}, k)])), h('dd', {}, s.description, actionFor(s.action) ? null : h('span', { className: 'muted' }, ' (not available here)'))),
      ),
    ),
    close,
  );
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
}

export function installKeyboardShortcuts(): void {
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) return;
    if (document.querySelector('dialog[open]') && event.key !== 'Escape') return;
    const shortcut = SHORTCUTS.find((s) => s.keys.includes(event.key));
    if (!shortcut) return;
    const run = actionFor(shortcut.action);
    if (!run) return;
    event.preventDefault();
    run();
  });
}
