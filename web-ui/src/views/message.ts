/** One message: Cachet's status bar first, then the headers, then the content in its own area. */
import { ApiError, getJson, sendJson } from '../api.js';
import { clear, h, icon } from '../dom.js';
import { messageFrame } from '../message-frame.js';
import type { AttachmentView, CredentialRoleView, ImportOutcome, MessageView } from '../types.js';
import { statusBar } from './status.js';

const ROLE_CHOICE_LABELS: Record<CredentialRoleView, string> = {
  signing: 'Use for signing',
  encryption: 'Use for encryption',
  both: 'Use for both',
};

function importDialog(view: MessageView, attachment: AttachmentView): HTMLElement {
  const password = h('input', { type: 'password', id: `pfx-password-${attachment.index}`, autocomplete: 'off', 'aria-label': `Password for ${attachment.filename}` });
  const result = h('div', { className: 'import-result', role: 'status', 'data-testid': 'import-result' });
  const run = async (role?: CredentialRoleView, replaceSigning = false) => {
    clear(result);
    result.append(h('span', { className: 'progress' }, 'Importing…'));
    try {
      const outcome = await sendJson<ImportOutcome>('POST', '/api/import-from-mail', { folder: view.folder, id: view.id, index: attachment.index, password: password.value, role, replaceSigning });
      clear(result);
      if (outcome.kind === 'imported') result.append(h('p', { className: 'notice tone-good' }, outcome.notice));
      else if (outcome.kind === 'choose-role') {
        result.append(
          h('p', {}, `${outcome.subject} can both sign and encrypt. Which role should it take?`),
          ...outcome.choices.map((choice) => h('button', { type: 'button', onclick: () => void run(choice) }, ROLE_CHOICE_LABELS[choice])),
        );
      } else if (outcome.kind === 'confirm-replace') {
        // A renewal: mail signed from now on carries the new certificate; the old one stays, inactive.
        result.append(
          h(
            'div',
            { role: 'alertdialog', 'aria-label': 'Replace your signing certificate?', className: 'confirm' },
            h('p', {}, `You already sign with ${outcome.current.subject}. Replace it with ${outcome.subject}? The current one stays in your vault, inactive.`),
            h('button', { type: 'button', className: 'primary', onclick: () => void run(outcome.role, true) }, 'Replace signing certificate'),
            h('button', { type: 'button', onclick: () => { clear(result); result.append(h('p', { className: 'notice' }, 'Nothing was imported; you keep signing with your current certificate.')); } }, 'Keep the current one'),
          ),
        );
      } else result.append(h('p', { className: 'form-error', role: 'alert' }, outcome.message));
    } catch (e) {
      clear(result);
      result.append(h('p', { className: 'form-error', role: 'alert' }, e instanceof ApiError ? e.message : 'Import failed'));
    }
  };
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
    void run();
  });
  return form;
}

function attachmentsList(view: MessageView): HTMLElement | null {
  if (view.attachments.length === 0) return null;
  return h(
    'section',
    { className: 'attachments', 'aria-label': 'Attachments' },
    h('h2', {}, 'Attachments'),
    h(
      'ul',
      {},
      ...view.attachments.map((a) => {
        const item = h(
          'li',
          {},
          h('a', { href: `/api/folders/${encodeURIComponent(view.folder)}/messages/${encodeURIComponent(view.id)}/attachments/${a.index}`, download: a.filename }, a.filename),
          h('span', { className: 'muted' }, ` ${a.contentType}, ${Math.ceil(a.size / 1024)} KiB`),
        );
        if (a.importable) {
          const toggle = h('button', { type: 'button', className: 'link-button' }, 'Import certificate…');
          toggle.addEventListener('click', () => {
            toggle.replaceWith(importDialog(view, a));
          });
          item.append(' ', toggle);
        }
        return item;
      }),
    ),
  );
}

export async function messageView(folder: string, id: string, container: HTMLElement): Promise<void> {
  clear(container);
  container.append(h('p', { className: 'progress', role: 'progressbar', 'aria-busy': 'true' }, 'Opening message…'));
  const view = await getJson<MessageView>(`/api/folders/${encodeURIComponent(folder)}/messages/${encodeURIComponent(id)}`);
  clear(container);
  const headers = h(
    'header',
    { className: 'message-headers' },
    h('h1', {}, view.headers.subject || '(no subject)'),
    h('p', {}, h('span', { className: 'muted' }, 'From '), view.headers.from),
    h('p', {}, h('span', { className: 'muted' }, 'To '), view.headers.to.join(', ')),
    view.headers.cc.length ? h('p', {}, h('span', { className: 'muted' }, 'Cc '), view.headers.cc.join(', ')) : null,
    view.headers.date ? h('p', { className: 'muted' }, new Date(view.headers.date).toLocaleString()) : null,
  );
  const content = h('section', { className: 'message-content', 'aria-label': 'Message content' });
  if (view.status === 'partially-signed') content.classList.add('partially-signed');
  if (view.html !== null) content.append(messageFrame(view.html, `Message: ${view.headers.subject}`));
  else content.append(h('pre', { className: 'message-text', 'data-testid': 'message-text' }, view.text ?? ''));
  for (const part of view.unsignedParts) {
    content.append(
      h(
        'div',
        { className: 'unsigned-part', 'data-testid': 'unsigned-part' },
        h('p', { className: 'unsigned-label' }, icon('warning', 'Not signed'), ` Not covered by the signature: ${part.description}`),
        h('pre', {}, part.text),
      ),
    );
  }
  const actions = h(
    'div',
    { className: 'message-actions' },
    h('a', { className: 'button', href: `#/compose?reply=${encodeURIComponent(view.folder)}/${encodeURIComponent(view.id)}` }, 'Reply'),
    h('a', { className: 'button', href: `#/folder/${encodeURIComponent(view.folder)}` }, 'Back'),
  );
  container.append(statusBar(view), headers, content, attachmentsList(view) ?? '', actions);
}
