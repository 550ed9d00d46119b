/**
 * What an import of one PKCS#12 file answered, drawn once for every place that imports (a mail's
 * attachment, all of a mail's files under one password, an uploaded file): the notice, the role
 * question for a dual-purpose certificate, the renewal question before the signing certificate is
 * replaced, or why nothing was imported.
 */
import { ApiError, sendJson } from '../api.js';
import { clear, h } from '../dom.js';
import type { CredentialRoleView, ImportOutcome, MessageView } from '../types.js';

const ROLE_CHOICE_LABELS: Record<CredentialRoleView, string> = {
  signing: 'Use for signing',
  encryption: 'Use for encryption',
  both: 'Use for both',
};

/** `retry`: the same file again with the user's answer (a role, or yes to replacing). */
export type ImportRetry = (role?: CredentialRoleView, replaceSigning?: boolean) => void;

export function importOutcomeView(outcome: ImportOutcome, retry: ImportRetry, into: HTMLElement): void {
  clear(into);
  if (outcome.kind === 'imported') into.append(h('p', { className: 'notice tone-good' }, outcome.notice));
  else if (outcome.kind === 'choose-role') {
    into.append(
      h('p', {}, `${outcome.subject} can both sign and encrypt. Which role should it take?`),
      ...outcome.choices.map((choice) => h('button', { type: 'button', onclick: () => retry(choice) }, ROLE_CHOICE_LABELS[choice])),
    );
  } else if (outcome.kind === 'confirm-replace') {
    // A renewal: mail signed from now on carries the new certificate; the old one stays, inactive.
    into.append(
      h(
        'div',
        { role: 'alertdialog', 'aria-label': 'Replace your signing certificate?', className: 'confirm' },
        h('p', {}, `You already sign with ${outcome.current.subject}. Replace it with ${outcome.subject}? The current one stays in your vault, inactive.`),
        h('button', { type: 'button', className: 'primary', onclick: () => retry(outcome.role, true) }, 'Replace signing certificate'),
        h('button', { type: 'button', onclick: () => { clear(into); into.append(h('p', { className: 'notice' }, 'Nothing was imported; you keep signing with your current certificate.')); } }, 'Keep the current one'),
      ),
    );
  } else into.append(h('p', { className: 'form-error', role: 'alert' }, outcome.message));
}

/** Runs an import request into `into`, with progress and a readable error. */
export async function runImport(into: HTMLElement, request: () => Promise<ImportOutcome>, retry: ImportRetry): Promise<void> {
  clear(into);
  into.append(h('span', { className: 'progress' }, 'Importing…'));
  try {
    importOutcomeView(await request(), retry, into);
  } catch (e) {
    clear(into);
    into.append(h('p', { className: 'form-error', role: 'alert' }, e instanceof ApiError ? e.message : 'Import failed'));
  }
}

/** One attachment of a mail, with its own password (the form behind "Import certificate…"). */
export function attachmentImportForm(view: MessageView, attachment: { index: number; filename: string }): HTMLElement {
  const password = h('input', { type: 'password', id: `pfx-password-${attachment.index}`, autocomplete: 'off', 'aria-label': `Password for ${attachment.filename}` });
  const result = h('div', { className: 'import-result', role: 'status', 'data-testid': 'import-result' });
  const run: ImportRetry = (role, replaceSigning = false) =>
    void runImport(result, () => sendJson<ImportOutcome>('POST', '/api/import-from-mail', { folder: view.folder, id: view.id, index: attachment.index, password: password.value, role, replaceSigning }), run);
  const form = h(
    'form',
    { className: 'import-form' },
    h('label', { for: `pfx-password-${attachment.index}` }, `Password for ${attachment.filename}`),
    password,
    h('button', { type: 'submit', className: 'primary' }, 'Import certificate'),
    result,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run();
  });
  return form;
}

type FileOutcome = ImportOutcome & { filename: string; index?: number };

/**
 * All of a mail's certificate files under one password, as administrators send them (one password
 * for the signing and the encryption file). A file that needs an answer, or another password, gets
 * its own form below, where it is answered alone.
 */
export function importAllForm(view: MessageView, onImported: () => void = () => undefined): HTMLElement {
  const password = h('input', { type: 'password', id: 'pfx-password-all', autocomplete: 'off' });
  const results = h('div', { className: 'import-result', role: 'status', 'data-testid': 'import-all-result' });
  const form = h(
    'form',
    { className: 'import-form', 'data-testid': 'import-all' },
    h('label', { for: 'pfx-password-all' }, 'One password for all certificate files'),
    password,
    h('button', { type: 'submit', className: 'primary' }, 'Import all certificates'),
    results,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clear(results);
    results.append(h('span', { className: 'progress' }, 'Importing…'));
    try {
      const { results: outcomes } = await sendJson<{ results: FileOutcome[] }>('POST', '/api/certificates/import-from-mail', { folder: view.folder, id: view.id, password: password.value });
      clear(results);
      for (const outcome of outcomes) {
        const item = h('div', { className: 'import-file', 'data-filename': outcome.filename });
        results.append(item);
        const attachment = outcome.index;
        // A question or another password for this file: answered for it alone, with the password given.
        const retry: ImportRetry = (role, replaceSigning = false) =>
          void runImport(item, () => sendJson<ImportOutcome>('POST', '/api/import-from-mail', { folder: view.folder, id: view.id, index: attachment, password: password.value, role, replaceSigning }), retry);
        if (outcome.kind === 'failed' && outcome.code === 'ERR_PKCS12_BAD_PASSWORD' && attachment !== undefined) {
          item.append(h('p', { className: 'notice tone-warn' }, `${outcome.filename} has another password:`), attachmentImportForm(view, { index: attachment, filename: outcome.filename }));
        } else {
          importOutcomeView(outcome, retry, item);
          if (outcome.kind !== 'imported') item.prepend(h('strong', {}, `${outcome.filename}: `));
        }
      }
      if (outcomes.some((o) => o.kind === 'imported')) onImported();
    } catch (e) {
      clear(results);
      results.append(h('p', { className: 'form-error', role: 'alert' }, e instanceof ApiError ? e.message : 'Import failed'));
    }
  });
  return form;
}
