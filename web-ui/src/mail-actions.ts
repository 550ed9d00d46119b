/**
 * The mail actions of the web client, as functions any part of the page can call: the message view's
 * toolbar, and the keyboard shortcuts (keyboard.ts; installMailActionShortcuts binds them). Each acts on the
 * server and then shows where the message went; delete offers an Undo that moves it back.
 *
 * For shortcuts: `currentMessage()` names the message shown, and the `…Current()` functions act on it
 * (they do nothing off a message view).
 */
import { ApiError, sendJson } from './api.js';
import { setShortcutAction } from './keyboard.js';
import { showToast } from './views/toast.js';

export interface MessageRef {
  folder: string;
  id: string;
}

interface DeleteResult {
  kind: 'moved-to-trash' | 'removed';
  undo?: { folder: string; id: string; target: string };
}

const path = (m: MessageRef, action: string) => `/api/folders/${encodeURIComponent(m.folder)}/messages/${encodeURIComponent(m.id)}/${action}`;
const folderLink = (folder: string) => `#/folder/${encodeURIComponent(folder)}`;
const folderLabel = (folder: string) => (folder === 'INBOX' ? 'Inbox' : folder);

/** The message the page shows (#/message/folder/id), or null. */
export function currentMessage(): MessageRef | null {
  const parts = location.hash.replace(/^#\/?/, '').split('?')[0]!.split('/').map(decodeURIComponent);
  return parts[0] === 'message' && parts[1] && parts[2] ? { folder: parts[1], id: parts[2] } : null;
}

/** Failures are said in the toast, in the server's words. */
async function attempt(what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    showToast(`${what} failed: ${e instanceof ApiError ? e.message : 'the server cannot be reached'}`);
  }
}

/** Back to the folder the message was in, unless the page has moved on meanwhile. */
function leave(message: MessageRef): void {
  const current = currentMessage();
  if (current && current.folder === message.folder && current.id === message.id) location.hash = folderLink(message.folder);
  else window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** Into Trash with an Undo (or, from Trash, gone for good after a confirmation). */
export async function deleteMessage(message: MessageRef): Promise<void> {
  if (message.folder === 'Trash' && !window.confirm('Delete this message for good? It cannot be brought back.')) return;
  await attempt('Delete', async () => {
    const result = await sendJson<DeleteResult>('POST', path(message, 'delete'), {});
    leave(message);
    const undo = result.undo;
    if (!undo) {
      showToast('Message deleted for good.');
      return;
    }
    showToast('Message moved to Trash.', {
      label: 'Undo',
      run: () =>
        attempt('Undo', async () => {
          await sendJson('POST', path(undo, 'move'), { to: undo.target });
          showToast(`Message put back in ${folderLabel(undo.target)}.`);
          window.dispatchEvent(new HashChangeEvent('hashchange'));
        }),
    });
  });
}

export async function moveMessage(message: MessageRef, target: string): Promise<void> {
  await attempt('Move', async () => {
    const moved = await sendJson<MessageRef>('POST', path(message, 'move'), { to: target });
    leave(message);
    showToast(`Message moved to ${folderLabel(target)}.`, {
      label: 'Undo',
      run: () =>
        attempt('Undo', async () => {
          await sendJson('POST', path(moved, 'move'), { to: message.folder });
          window.dispatchEvent(new HashChangeEvent('hashchange'));
        }),
    });
  });
}

export async function archiveMessage(message: MessageRef): Promise<void> {
  await attempt('Archive', async () => {
    const archived = await sendJson<MessageRef>('POST', path(message, 'archive'), {});
    leave(message);
    showToast('Message archived.', {
      label: 'Undo',
      run: () =>
        attempt('Undo', async () => {
          await sendJson('POST', path(archived, 'move'), { to: message.folder });
          window.dispatchEvent(new HashChangeEvent('hashchange'));
        }),
    });
  });
}

export async function setFlagged(message: MessageRef, flagged: boolean): Promise<boolean> {
  let done = false;
  await attempt(flagged ? 'Flag' : 'Unflag', async () => {
    await sendJson('POST', path(message, 'flags'), { flagged });
    done = true;
  });
  return done;
}

/** Unread again, back in the list (reading a message marks it read). */
export async function markUnread(message: MessageRef): Promise<void> {
  await attempt('Mark as unread', async () => {
    await sendJson('POST', path(message, 'flags'), { seen: false });
    leave(message);
    showToast('Marked as unread.');
  });
}

const composeLink = (query: Record<string, string>) => `#/compose?${new URLSearchParams(query).toString()}`;

export function replyAll(message: MessageRef): void {
  location.hash = composeLink({ reply: `${message.folder}/${message.id}`, all: '1' });
}

/** `inline`: the text quoted and the attachments carried; `attachment`: the whole message attached (message/rfc822). */
export function forward(message: MessageRef, mode: 'inline' | 'attachment' = 'inline'): void {
  location.hash = composeLink({ forward: `${message.folder}/${message.id}`, mode });
}

/** The message open, else the one focused in a list (j/k moves the focus there). */
function messageInReach(): MessageRef | null {
  const open = currentMessage();
  if (open) return open;
  const focused = document.activeElement instanceof HTMLAnchorElement ? document.activeElement.getAttribute('href') ?? '' : '';
  const parts = focused.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return parts[0] === 'message' && parts[1] && parts[2] ? { folder: parts[1], id: parts[2] } : null;
}

const onCurrent = (action: (m: MessageRef) => unknown) => () => {
  const message = messageInReach();
  if (message) void action(message);
};
export const deleteCurrent = onCurrent(deleteMessage);
export const archiveCurrent = onCurrent(archiveMessage);
export const replyAllCurrent = onCurrent(replyAll);
export const forwardCurrent = onCurrent((m) => forward(m, 'inline'));
export const markUnreadCurrent = onCurrent(markUnread);

/** Binds these actions to the keyboard module's keys (a reply all, f forward, Delete/# delete). */
export function installMailActionShortcuts(): void {
  setShortcutAction('replyAll', replyAllCurrent);
  setShortcutAction('forward', forwardCurrent);
  setShortcutAction('delete', deleteCurrent);
}
