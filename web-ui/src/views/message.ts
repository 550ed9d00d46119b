/** One message: Cachet's status bar first, then the headers, then the content in its own area. */
import { ApiError, getJson, sendJson } from '../api.js';
import { clear, h, icon } from '../dom.js';
import { formatSize } from '../format.js';
import { messageFrame, type MailLink } from '../message-frame.js';
import type { MessageView } from '../types.js';
import { attachmentImportForm, importAllForm } from './credential-import.js';
import { statusBar } from './status.js';
import { conversationSection, messageToolbar } from './message-toolbar.js';

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
          h('span', { className: 'muted' }, ` ${a.contentType}, ${formatSize(a.size)}`),
        );
        if (a.importable) {
          const toggle = h('button', { type: 'button', className: 'link-button' }, 'Import certificate…');
          toggle.addEventListener('click', () => {
            toggle.replaceWith(attachmentImportForm(view, a));
          });
          item.append(' ', toggle);
        }
        return item;
      }),
    ),
    // Several certificate files (signing and encryption) usually share one password: one form for all.
    view.attachments.filter((a) => a.importable).length > 1 ? importAllForm(view) : null,
  );
}

/** Opened in a new tab that knows neither this page (no opener) nor where the reader came from (no referrer). */
function openOutside(href: string): void {
  window.open(href, '_blank', 'noopener,noreferrer');
}

/** The same address, written the way a person would: case of scheme and host, a trailing slash. */
function sameTarget(text: string, href: string): boolean {
  const normalise = (value: string) => value.trim().replace(/\/+$/, '').toLowerCase();
  let decoded = href;
  try {
    decoded = decodeURI(href);
  } catch {
    // not valid percent-encoding: compared as written
  }
  return normalise(text) === normalise(href) || normalise(text) === normalise(decoded);
}

/**
 * A link clicked in the mail: straight out when its text is its target; otherwise Cachet says where it
 * really goes (in its own words, outside the mail) and the reader chooses.
 */
function linkCheck(area: HTMLElement): (link: MailLink) => void {
  return (link) => {
    clear(area);
    // A mailto: link starts a message in Cachet, to its address only (its subject or body are not taken).
    if (/^mailto:/i.test(link.href)) {
      const written = link.href.replace(/^mailto:/i, '').split('?')[0] ?? '';
      let address = written;
      try {
        address = decodeURIComponent(written);
      } catch {
        // not valid percent-encoding: taken as written, and Compose says if it is no address
      }
      location.hash = `#/compose?to=${encodeURIComponent(address)}`;
      return;
    }
    if (sameTarget(link.text, link.href)) {
      openOutside(link.href);
      return;
    }
    const open = h('button', { type: 'button', className: 'primary' }, 'Open link');
    open.addEventListener('click', () => {
      clear(area);
      openOutside(link.href);
    });
    const dialog = h(
      'div',
      { className: 'link-check', role: 'alertdialog', 'aria-label': 'Open this link?', 'data-testid': 'link-check' },
      h('p', {}, 'This link goes to ', h('strong', { className: 'link-target', 'data-testid': 'link-target' }, h('bdi', {}, link.href)), link.text ? ', not to what its text says: ' : '.', link.text ? h('bdi', { className: 'muted' }, `“${link.text}”`) : null),
      open,
      h('button', { type: 'button', onclick: () => clear(area) }, 'Cancel'),
    );
    area.append(dialog);
    open.focus();
  };
}

/** A mark beside a header the signature does not cover (no header protection, or not among the protected). */
function notCovered(view: MessageView, field: string): HTMLElement | null {
  if (!view.unsignedHeaders.includes(field)) return null;
  return h('span', { className: 'not-covered', 'data-testid': `not-covered-${field}` }, icon('warning', 'Warning', true), ' Not covered by the signature');
}

/**
 * The From: the address first and prominent (verified by the signature when the status is valid),
 * the display name after it, isolated (bdi) and marked when it imitates another address.
 */
function fromLine(view: MessageView): HTMLElement {
  const line = h('p', { className: 'from-line', 'data-testid': 'from' }, h('span', { className: 'muted' }, 'From '));
  if (view.fromMailboxes.length === 0) line.append(h('bdi', {}, view.headers.from));
  view.fromMailboxes.forEach((box, index) => {
    if (index > 0) line.append(', ');
    const verified = box.address !== null && box.address === view.verifiedSender;
    line.append(h('strong', { className: `sender-address${verified ? ' verified' : ''}`, 'data-testid': 'sender-address' }, h('bdi', {}, box.address ?? box.name ?? '(unreadable)')));
    if (verified) line.append(h('span', { className: 'verified-mark tone-good', 'data-testid': 'sender-verified' }, icon('seal', 'Verified', true), ' verified by the signature'));
    if (box.name !== null && box.address !== null) line.append(' ', h('span', { className: 'display-name' }, '(name given: ', h('bdi', {}, box.name), ')'));
    if (box.warning) line.append(' ', h('span', { className: 'name-warning tone-warn', 'data-testid': 'name-warning' }, icon('warning', 'Warning', true), ` ${box.warning}`));
  });
  const mark = notCovered(view, 'from');
  if (mark) line.append(' ', mark);
  return line;
}

/**
 * A certs-only message offers its certificates; reading never files them (an unsigned message may name
 * anyone), so the user decides, knowing that nothing proves whose they are.
 */
function certsOnlyImport(view: MessageView): HTMLElement | null {
  if (!view.certsOnly) return null;
  const result = h('div', { role: 'status', 'data-testid': 'certs-import-result' });
  const button = h('button', { type: 'button' }, 'Add these certificates to my address book');
  button.addEventListener('click', () => {
    void (async () => {
      clear(result);
      try {
        const outcome = await sendJson<{ imported: Array<{ address: string; added: boolean; pending: boolean }> }>('POST', '/api/import-certificates', { folder: view.folder, id: view.id });
        for (const r of outcome.imported) result.append(h('p', { className: r.pending ? 'notice tone-warn' : 'notice tone-good' }, `${r.address}: ${r.pending ? 'kept pending: it replaces a certificate you know' : r.added ? 'added' : 'already known'}`));
      } catch (e) {
        result.append(h('p', { className: 'form-error', role: 'alert' }, e instanceof ApiError ? e.message : 'Import failed'));
      }
    })();
  });
  return h(
    'section',
    { className: 'certs-only', 'aria-label': 'Certificates in this message' },
    h('p', {}, 'This message carries certificates. It is not signed: nothing proves whose they are. Add them only if you expected them from the sender.'),
    button,
    result,
  );
}

/** `signal`: the route's (main.ts): aborted, its requests are cancelled and nothing more is drawn. */
export async function messageView(folder: string, id: string, container: HTMLElement, signal?: AbortSignal): Promise<void> {
  clear(container);
  container.append(h('p', { className: 'progress', role: 'progressbar', 'aria-busy': 'true' }, 'Opening message…'));
  const view = await getJson<MessageView>(`/api/folders/${encodeURIComponent(folder)}/messages/${encodeURIComponent(id)}`, signal);
  clear(container);
  const headers = h(
    'header',
    { className: 'message-headers', 'aria-label': 'Message headers' },
    h('h1', {}, h('bdi', {}, view.headers.subject || '(no subject)'), notCovered(view, 'subject')),
    fromLine(view),
    h('p', {}, h('span', { className: 'muted' }, 'To '), h('bdi', {}, view.headers.to.join(', ')), notCovered(view, 'to')),
    view.headers.cc.length ? h('p', {}, h('span', { className: 'muted' }, 'Cc '), h('bdi', {}, view.headers.cc.join(', ')), notCovered(view, 'cc')) : null,
    view.headers.replyTo.length ? h('p', { 'data-testid': 'reply-to' }, h('span', { className: 'muted' }, 'Replies go to '), h('bdi', {}, view.headers.replyTo.join(', ')), notCovered(view, 'reply-to')) : null,
    view.headers.date ? h('p', { className: 'muted' }, new Date(view.headers.date).toLocaleString(), notCovered(view, 'date')) : null,
  );
  // The message's own content sits in a frame labelled as the sender's: whatever it imitates (a status
  // bar, a "verified" badge), it is below this line, never among Cachet's words above it.
  const content = h(
    'section',
    { className: 'message-content', 'aria-label': 'Message content' },
    h('p', { className: 'content-boundary', 'data-testid': 'content-boundary' }, 'Message content, as the sender wrote it — Cachet’s status is only above'),
  );
  if (view.status === 'partially-signed') content.classList.add('partially-signed');
  if (view.unauthenticatedEncryption) content.classList.add('unauthenticated');
  // Cachet's question about a link sits above the sender's content, never inside it.
  const linkArea = h('div', { className: 'link-area' });
  if (view.html !== null) content.append(messageFrame(view.html, `Message: ${view.headers.subject}`, linkCheck(linkArea)));
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
  const actions = h('div', { className: 'message-actions' }, h('a', { className: 'button', href: `#/folder/${encodeURIComponent(view.folder)}` }, 'Back'));
  const [toolbar, thread] = await Promise.all([messageToolbar(view, signal), conversationSection(view, signal)]);
  signal?.throwIfAborted();
  container.append(toolbar, statusBar(view), headers, certsOnlyImport(view) ?? '', linkArea, content, attachmentsList(view) ?? '', thread ?? '', actions);
}
