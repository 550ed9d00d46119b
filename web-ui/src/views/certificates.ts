/**
 * Certificates: the user's own credentials — role, expiry (warned within the policy's
 * renewDaysBefore), issuer, fingerprint — with import (an uploaded .p12/.pfx, one password for
 * several), a backup (.p12 under a password the user chooses, the chain included) and removal, each
 * asked first. The server does all of it (routes/certificates.ts); keys never reach the page.
 */
import { ApiError, downloadPost, getJson, sendJson, uploadForm } from '../api.js';
import { clear, h, icon } from '../dom.js';
import { formatDate } from '../format.js';
import type { CertificatesView, CredentialRoleView, FileImportOutcome, ImportOutcome, OwnCredentialView } from '../types.js';
import { importOutcomeView, runImport, type ImportRetry } from './credential-import.js';
import { certificatePanel } from './status.js';

const ROLE_TEXT: Record<CredentialRoleView, string> = { signing: 'Signing', encryption: 'Encryption', both: 'Signing and encryption' };

function expiryText(c: OwnCredentialView): string {
  const { daysLeft, state } = c.expiry;
  if (state === 'expired') return `expired on ${formatDate(c.notAfter)}`;
  const left = daysLeft === 0 ? 'less than a day left' : `${daysLeft} ${daysLeft === 1 ? 'day' : 'days'} left`;
  return `valid until ${formatDate(c.notAfter)} (${left})`;
}

/** The active credentials that expire soon or have expired: what the banner names. */
function endingSoon(view: CertificatesView): OwnCredentialView[] {
  return view.credentials.filter((c) => c.active && c.expiry.state !== 'valid');
}

/** A banner for the top of every view while an active certificate is expiring or expired; null otherwise. */
export function expiryBannerFor(view: CertificatesView): HTMLElement | null {
  const ending = endingSoon(view);
  if (ending.length === 0) return null;
  const expired = ending.some((c) => c.expiry.state === 'expired');
  return h(
    'div',
    { className: `banner notice ${expired ? 'tone-bad' : 'tone-warn'}`, role: 'status', 'data-testid': 'expiry-banner' },
    icon('warning', 'Warning', true),
    ` ${ending.map((c) => `Your ${ROLE_TEXT[c.role].toLowerCase()} certificate ${c.email[0] ?? c.subject} is ${expiryText(c)}.`).join(' ')} `,
    h('a', { href: '#/certificates' }, 'Renew or replace it'),
  );
}

let cached: Promise<CertificatesView | null> | null = null;

/** The banner for the page's shell; the list is asked once and again after each change here. */
export async function expiryBanner(): Promise<HTMLElement | null> {
  cached ??= getJson<CertificatesView>('/api/certificates').catch(() => null);
  const view = await cached;
  return view ? expiryBannerFor(view) : null;
}

/** Forgets the list the banner was drawn from (after sign-out, or a change). */
export function forgetCertificates(): void {
  cached = null;
}

function exportForm(c: OwnCredentialView): HTMLElement {
  const id = c.id.slice(0, 12);
  const password = h('input', { type: 'password', id: `export-password-${id}`, autocomplete: 'new-password', minlength: 8, required: true });
  const again = h('input', { type: 'password', id: `export-again-${id}`, autocomplete: 'new-password', required: true });
  const error = h('p', { className: 'form-error', role: 'alert', hidden: true });
  const form = h(
    'form',
    { className: 'import-form', 'data-testid': 'export-form' },
    h('p', { className: 'muted' }, 'The backup holds your private key and the certificate chain. Only this password protects it: choose a long one, and keep the file safe.'),
    h('label', { for: `export-password-${id}` }, 'Password for the backup'),
    password,
    h('label', { for: `export-again-${id}` }, 'The same password again'),
    again,
    error,
    h('button', { type: 'submit', className: 'primary' }, 'Download backup'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (password.value !== again.value) {
      error.hidden = false;
      error.textContent = 'The two passwords differ.';
      return;
    }
    try {
      const filename = await downloadPost(`/api/certificates/${c.id}/export`, { password: password.value });
      form.replaceWith(h('p', { className: 'notice tone-good' }, `Saved as ${filename}.`));
    } catch (e) {
      error.hidden = false;
      error.textContent = e instanceof ApiError ? e.message : 'The backup could not be made';
    }
  });
  return form;
}

function removeDialog(c: OwnCredentialView, container: HTMLElement, feedback: HTMLElement): HTMLElement {
  const who = c.email[0] ?? c.subject;
  return h(
    'div',
    { role: 'alertdialog', 'aria-label': 'Remove this certificate?', className: 'confirm decision' },
    h('p', {}, `Remove the ${ROLE_TEXT[c.role].toLowerCase()} certificate of ${who} from your vault?`),
    c.removalWarning ? h('p', { className: 'status-warning' }, icon('warning', 'Warning', true), ` ${c.removalWarning[0]!.toUpperCase()}${c.removalWarning.slice(1)}. Export a backup first if you may need it.`) : null,
    h(
      'button',
      {
        type: 'button',
        className: 'danger',
        onclick: async () => {
          try {
            await sendJson('POST', `/api/certificates/${c.id}/remove`, { confirmed: true });
            await certificatesView(container, h('p', { className: 'notice tone-good' }, `Removed the certificate of ${who}.`));
          } catch (e) {
            clear(feedback);
            feedback.append(h('p', { className: 'form-error', role: 'alert' }, e instanceof ApiError ? e.message : 'Could not remove it'));
          }
        },
      },
      'Remove',
    ),
    h('button', { type: 'button', onclick: (event: Event) => (event.target as HTMLElement).closest('.confirm')?.remove() }, 'Keep it'),
  );
}

function credentialItem(c: OwnCredentialView, view: CertificatesView, container: HTMLElement): HTMLElement {
  const tone = c.expiry.state === 'expired' ? 'bad' : c.expiry.state === 'expiring' ? 'warn' : 'good';
  const actions = h('div', { className: 'credential-actions' });
  const feedback = h('div', { role: 'status' });
  if (view.manageable) {
    if (c.exportable) {
      const exportButton = h('button', { type: 'button' }, 'Export backup…');
      exportButton.addEventListener('click', () => exportButton.replaceWith(exportForm(c)));
      actions.append(exportButton);
    }
    const remove = h('button', { type: 'button' }, 'Remove…');
    remove.addEventListener('click', () => {
      actions.querySelector('.confirm')?.remove();
      actions.append(removeDialog(c, container, feedback));
    });
    actions.append(remove);
  }
  const who = c.email.join(', ') || c.subject;
  return h(
    'li',
    { className: 'credential card', 'data-role': c.role, 'data-id': c.id, 'data-expiry': c.expiry.state, 'aria-label': `${ROLE_TEXT[c.role]} certificate of ${who}` },
    h('h3', {}, ROLE_TEXT[c.role], c.active ? null : h('span', { className: 'muted' }, ' (older, kept to read old mail)')),
    h('p', { className: 'credential-who' }, who),
    h('p', { className: `credential-expiry tone-${tone}`, 'data-testid': 'expiry' }, c.expiry.state === 'valid' ? null : icon('warning', 'Warning', true), ` ${c.expiry.state === 'valid' ? expiryText(c) : `${expiryText(c)}: renew it`}`),
    h('p', { className: 'muted' }, `Issued by ${c.issuer}`),
    h('p', { className: 'fingerprint' }, h('span', { className: 'muted' }, 'SHA-256 '), h('code', {}, c.fingerprint)),
    certificatePanel(c.certificate),
    actions,
    feedback,
  );
}

/** Upload one or more .p12/.pfx files with one password; each file's questions are answered for it alone. */
function uploadSection(container: HTMLElement): HTMLElement {
  const files = h('input', { type: 'file', id: 'certificate-files', accept: '.p12,.pfx,application/x-pkcs12', multiple: true, required: true });
  const password = h('input', { type: 'password', id: 'certificate-password', autocomplete: 'off', required: true });
  const results = h('div', { role: 'status', 'aria-live': 'polite', 'data-testid': 'upload-result' });
  const upload = (list: File[], role?: CredentialRoleView, replaceSigning = false): Promise<FileImportOutcome[]> => {
    const form = new FormData();
    for (const file of list) form.append('file', file, file.name);
    form.set('password', password.value);
    if (role) form.set('role', role);
    form.set('replaceSigning', String(replaceSigning));
    return uploadForm<{ results: FileImportOutcome[] }>('/api/certificates/import', form, () => undefined).then((r) => r.results);
  };
  const form = h(
    'form',
    { className: 'import-form', 'data-testid': 'upload' },
    h('label', { for: 'certificate-files' }, 'Certificate files (.p12, .pfx)'),
    files,
    h('label', { for: 'certificate-password' }, 'Password of the files'),
    password,
    h('button', { type: 'submit', className: 'primary' }, 'Import'),
    results,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = Array.from(files.files ?? []);
    clear(results);
    results.append(h('span', { className: 'progress' }, 'Importing…'));
    try {
      const outcomes = await upload(chosen);
      clear(results);
      outcomes.forEach((outcome, i) => {
        const item = h('div', { className: 'import-file', 'data-filename': outcome.filename });
        results.append(item);
        const file = chosen[i]!;
        const retry: ImportRetry = (role, replaceSigning = false) =>
          void runImport(item, async () => {
            const [again] = await upload([file], role, replaceSigning);
            if (again?.kind === 'imported') refresh();
            return again as ImportOutcome;
          }, retry);
        importOutcomeView(outcome, retry, item);
        item.prepend(h('strong', {}, `${outcome.filename}: `));
      });
      if (outcomes.some((o) => o.kind === 'imported')) refresh();
    } catch (e) {
      clear(results);
      results.append(h('p', { className: 'form-error', role: 'alert' }, e instanceof ApiError ? e.message : 'Import failed'));
    }
  });
  // The list above is drawn again; the answers below stay where they are.
  const refresh = () => {
    forgetCertificates();
    void drawList(container);
  };
  return h('section', { className: 'card', 'aria-labelledby': 'import-title' }, h('h2', { id: 'import-title' }, 'Import'), form);
}

async function drawList(container: HTMLElement, message?: HTMLElement, signal?: AbortSignal): Promise<CertificatesView> {
  const view = await getJson<CertificatesView>('/api/certificates', signal);
  const list = container.querySelector('[data-testid="credential-list"]');
  const fresh = h(
    'div',
    { 'data-testid': 'credential-list' },
    message ?? null,
    expiryBannerFor(view),
    view.sourceProblem ? h('p', { className: 'notice tone-warn', role: 'alert' }, view.sourceProblem) : null,
    view.credentials.length === 0
      ? h('p', { className: 'muted' }, view.manageable ? 'No certificates yet: import the files your administrator sent, from their mail or below.' : 'No certificates to show yet.')
      : h('ul', { className: 'credential-list' }, ...view.credentials.map((c) => credentialItem(c, view, container))),
    h('p', { className: 'muted' }, `You are warned ${view.warnDaysBefore} days before a certificate expires (your administrator's renewal policy).`),
  );
  if (list) list.replaceWith(fresh);
  else container.append(fresh);
  return view;
}

/** `signal`: the route's (main.ts): aborted, its request is cancelled and nothing more is drawn. */
export async function certificatesView(container: HTMLElement, message?: HTMLElement, signal?: AbortSignal): Promise<void> {
  forgetCertificates();
  clear(container);
  container.append(h('h1', { id: 'certificates-title' }, 'Certificates'));
  const view = await drawList(container, message, signal);
  if (view.manageable) container.append(uploadSection(container));
}
