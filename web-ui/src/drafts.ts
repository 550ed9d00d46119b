/**
 * Compose's autosave. A change is saved a moment after typing stops (debounced), and at once when the
 * user leaves the view or the page. The server stores each save encrypted to the author (never in
 * clear); when it cannot (no encryption certificate), it says why and the draft is kept in this
 * browser tab only (sessionStorage: gone when the tab closes, or at sign-out).
 *
 * The address says which draft is open (#/compose?draft=ID, or draft=local for the tab's own), so a
 * reload, coming back from another view, or signing in again after the idle lock opens it again.
 * Edits the server could not take because the session had ended are held in the tab until the user
 * has signed in again, then saved.
 */
import { ApiError, getJson, sendJson } from './api.js';
import { announceFoldersChanged } from './views/mailbox.js';

export interface DraftFields {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  body: string;
  replyTo: { folder: string; id: string } | null;
}

type SaveOutcome = { kind: 'saved'; id: string; savedAt: string } | { kind: 'not-stored'; reason: string };

/** Wait after the last keystroke before saving. */
const AUTOSAVE_DELAY_MS = 1500;
export const LOCAL_DRAFT_ID = 'local';
/** The tab's own draft (no encryption certificate). */
const LOCAL_KEY = 'cachet.draft.local';
/** Edits not yet saved when the session ended: { id, fields }, saved once signed in again. */
const UNSAVED_KEY = 'cachet.draft.unsaved';

/**
 * Saves of every form in this page, one after another: two views of one draft (a view drawn again
 * while the last one still saves) must not each store a copy. A save that replaced draft A with B
 * is remembered, so that a later save or delete of A acts on B.
 */
let saves: Promise<void> = Promise.resolve();
const successors = new Map<string, string>();
/** Drafts deleted because their mail left: a save still waiting for one of them is dropped, not stored anew. */
const sentDrafts = new Set<string>();
/**
 * The one form whose edits are saved. A view drawn anew (after sign-in, a reload of the view, the
 * Drafts folder) retires the one before it, which would otherwise save its older text over the new
 * view's edits when it hears the next address change or the page closing.
 */
let retireActive: (() => void) | null = null;
function latest(id: string | null): string | null {
  let current = id;
  while (current && successors.has(current)) current = successors.get(current)!;
  return current;
}

/**
 * The view that opened a draft asks this first: the tab's copy, or the server's (decrypted there).
 * The view drawn before it is retired first and its last edits stored, so what is read is the newest.
 */
export async function loadDraft(given: string): Promise<DraftFields | null> {
  retireActive?.();
  retireActive = null;
  await saves;
  const id = latest(given)!;
  const unsaved = readStored<{ id: string; fields: DraftFields }>(UNSAVED_KEY);
  if (unsaved && unsaved.id === id) return unsaved.fields;
  if (id === LOCAL_DRAFT_ID) return readStored<DraftFields>(LOCAL_KEY);
  return getJson<DraftFields>(`/api/drafts/${encodeURIComponent(id)}`);
}

/** Sign-out: nothing of a draft stays in the tab for whoever uses the browser next. */
export function forgetBrowserDrafts(): void {
  sessionStorage.removeItem(LOCAL_KEY);
  sessionStorage.removeItem(UNSAVED_KEY);
}

function readStored<T>(key: string): T | null {
  try {
    const text = sessionStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

function sameFields(a: DraftFields, b: DraftFields): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const isEmpty = (f: DraftFields) => f.to.length + f.cc.length + f.bcc.length === 0 && f.subject.trim() === '' && f.body.trim() === '';

export interface Autosave {
  /** Saves now what is not saved yet (leaving the view). */
  flush(): Promise<void>;
  /** The mail left: its draft is deleted, and the form starts a new one. */
  sent(): Promise<void>;
}

/**
 * Watches `form` for changes and saves `read()`; `status` says what happened to the last save.
 * `id`: the draft the form was opened from (null: a new one).
 */
export function autosave(form: HTMLFormElement, read: () => DraftFields, status: HTMLElement, id: string | null): Autosave {
  let current = id;
  let saved: DraftFields | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  /** The address this form was opened at, or last given: changed only while the user is still here. */
  let ownAddress = location.hash;
  const setAddress = (draftId: string | null) => {
    // replaceState: the address follows the draft without a navigation (no redraw, no history entry).
    const target = draftId ? `#/compose?draft=${encodeURIComponent(draftId)}` : '#/compose';
    if (!form.isConnected || location.hash !== ownAddress || target === ownAddress) return;
    history.replaceState(null, '', target);
    ownAddress = target;
  };
  const say = (text: string, tone: 'good' | 'warn') => {
    status.textContent = text;
    status.className = `draft-status tone-${tone}`;
  };

  const save = async (keepalive = false): Promise<void> => {
    current = latest(current);
    if (current && sentDrafts.has(current)) return;
    const fields = read();
    if ((saved && sameFields(saved, fields)) || (!current && isEmpty(fields))) return;
    if (current === LOCAL_DRAFT_ID) {
      sessionStorage.setItem(LOCAL_KEY, JSON.stringify(fields));
      sessionStorage.removeItem(UNSAVED_KEY);
      saved = fields;
      return;
    }
    try {
      const outcome = await sendJson<SaveOutcome>('POST', '/api/drafts', { ...fields, id: current }, { keepalive });
      if (outcome.kind === 'saved') {
        if (current && current !== outcome.id) successors.set(current, outcome.id);
        // A new draft: the Drafts folder's count changes.
        if (!current) announceFoldersChanged();
        current = outcome.id;
        saved = fields;
        sessionStorage.removeItem(UNSAVED_KEY);
        say(`Draft saved, encrypted, at ${new Date(outcome.savedAt).toLocaleTimeString()}.`, 'good');
      } else {
        current = LOCAL_DRAFT_ID;
        sessionStorage.setItem(LOCAL_KEY, JSON.stringify(fields));
        saved = fields;
        say(`Not saved on the server: ${outcome.reason}. The draft is kept in this browser tab only, until you close it or sign out.`, 'warn');
      }
      setAddress(current);
    } catch (e) {
      // The session ended (idle lock): the edits wait in the tab until the user has signed in again.
      sessionStorage.setItem(UNSAVED_KEY, JSON.stringify({ id: current ?? LOCAL_DRAFT_ID, fields }));
      if (!current) setAddress(LOCAL_DRAFT_ID);
      if (e instanceof ApiError && e.status === 401) {
        // Handed over: the view drawn after signing in again saves these edits; this one says no more.
        stop();
        window.dispatchEvent(new CustomEvent('cachet:session-ended'));
      } else say(`The draft could not be saved (${e instanceof ApiError ? e.message : 'the server cannot be reached'}); it is kept in this tab and saved again on the next change.`, 'warn');
    }
  };
  const queue = (keepalive = false) => {
    clearTimeout(timer);
    saves = saves.then(() => save(keepalive));
    return saves;
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void queue(), AUTOSAVE_DELAY_MS);
  };
  const onPageHide = () => void queue(true);
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    form.removeEventListener('input', schedule);
    form.removeEventListener('change', schedule);
    form.removeEventListener('cachet:recipients-changed', schedule);
    window.removeEventListener('hashchange', leave);
    window.removeEventListener('pagehide', onPageHide);
  };
  /** Leaving the view, or drawn over by a new one: what is not saved yet is saved, then nothing more. */
  const leave = () => {
    if (stopped) return;
    void queue();
    stop();
  };
  retireActive?.();
  retireActive = leave;
  form.addEventListener('input', schedule);
  form.addEventListener('change', schedule);
  form.addEventListener('cachet:recipients-changed', schedule);
  window.addEventListener('hashchange', leave);
  window.addEventListener('pagehide', onPageHide);

  // Restored edits that the server never got (the session had ended): saved now.
  if (id && readStored<{ id: string }>(UNSAVED_KEY)?.id === id) void queue();
  else if (id) saved = read();
  if (id === LOCAL_DRAFT_ID) say('This draft is kept in this browser tab only (you have no encryption certificate to save it encrypted on the server).', 'warn');

  return {
    flush: () => queue(),
    async sent() {
      clearTimeout(timer);
      // In the line of saves: a save queued before (by this form or one drawn before it) has stored
      // its draft by then, so the delete names the newest copy, and none is stored after it.
      let deleted = true;
      const deletion = saves.then(async () => {
        const id = latest(current);
        current = null;
        saved = null;
        sessionStorage.removeItem(UNSAVED_KEY);
        if (id === LOCAL_DRAFT_ID) sessionStorage.removeItem(LOCAL_KEY);
        else if (id) {
          sentDrafts.add(id);
          deleted = await sendJson('DELETE', `/api/drafts/${encodeURIComponent(id)}`, {}).then(() => true, () => false);
        }
      });
      saves = deletion;
      await deletion;
      if (deleted) status.textContent = '';
      else say('The mail left, but its draft could not be deleted: delete it from Drafts.', 'warn');
      setAddress(null);
    },
  };
}
