/**
 * The Outbox: each message not yet delivered to everyone, with every recipient's state — delivered,
 * waiting and why, or refused by their server — and Retry and Delete. A recipient who has it is never shown as "not sent".
 */
import { ApiError, getJson, sendJson } from '../api.js';
import { clear, h } from '../dom.js';
import type { OutboxMessage } from '../types.js';
import { announceFoldersChanged } from './mailbox.js';

/** `signal`: the route's (main.ts): aborted, its request is cancelled and nothing is drawn. */
export async function outboxView(container: HTMLElement, signal?: AbortSignal): Promise<void> {
  clear(container);
  const feedback = h('div', { role: 'status', 'aria-live': 'polite', 'data-testid': 'outbox-feedback' });
  const list = h('div', { className: 'outbox-list' });
  container.append(h('h1', {}, 'Outbox'), h('p', { className: 'muted' }, 'Messages wait here until every recipient’s mail server has accepted them. While you are signed in, one whose server could not be reached is sent again by itself (after 1, 2, 4 … minutes, then hourly); Retry sends it now, also to a recipient refused for good.'), feedback, list);

  const draw = (messages: OutboxMessage[]) => {
    clear(list);
    if (messages.length === 0) {
      list.append(h('p', { className: 'muted empty' }, 'The Outbox is empty: everything was delivered.'));
      return;
    }
    for (const message of messages) list.append(card(message));
  };
  const act = async (what: string, action: () => Promise<OutboxMessage[]>) => {
    clear(feedback);
    try {
      draw(await action());
      announceFoldersChanged();
      feedback.append(h('p', { className: 'notice tone-neutral' }, what));
    } catch (e) {
      feedback.append(h('p', { className: 'form-error', role: 'alert' }, e instanceof ApiError ? e.message : 'Something went wrong'));
    }
  };
  const card = (message: OutboxMessage): HTMLElement => {
    const delivered = message.recipients.filter((r) => r.state === 'delivered');
    const notDelivered = message.recipients.filter((r) => r.state !== 'delivered');
    const retry = h('button', { type: 'button', disabled: message.sending }, 'Retry');
    retry.addEventListener('click', () => void act('Retried.', () => sendJson<OutboxMessage[]>('POST', '/api/outbox/retry', { batch: message.batch })));
    const remove = h('button', { type: 'button', className: 'danger', disabled: message.sending }, 'Delete');
    remove.addEventListener('click', () => {
      const keep = delivered.length > 0 ? ` ${delivered.map((r) => r.address).join(', ')} already ha${delivered.length === 1 ? 's' : 've'} it.` : '';
      if (!window.confirm(`Give up on this message? It will not be sent to ${notDelivered.map((r) => r.address).join(', ')}.${keep}`)) return;
      void act('Deleted from the Outbox.', () => sendJson<OutboxMessage[]>('DELETE', `/api/outbox/${encodeURIComponent(message.batch)}`, {}));
    });
    const subject = message.subject || '(no subject)';
    return h(
      'article',
      { className: 'outbox-message card', 'data-testid': 'outbox-message', 'aria-label': subject },
      h('h2', {}, h('bdi', {}, subject)),
      h('p', { className: 'muted' }, `Queued ${new Date(message.queuedAt).toLocaleString()} · ${message.attempts} attempt${message.attempts === 1 ? '' : 's'}${message.sending ? ' · being sent now' : ''}`),
      h(
        'ul',
        { className: 'outbox-recipients' },
        ...message.recipients.map((r) =>
          h(
            'li',
            { 'data-address': r.address, 'data-state': r.state, className: r.state === 'delivered' ? 'tone-good' : 'tone-warn' },
            h('bdi', { className: 'address' }, r.address),
            r.state === 'delivered' ? ': delivered' : r.state === 'refused' ? `: refused — ${r.reason ?? 'the server will not take it'}. Retry once that is mended, or Delete.` : `: waiting — ${r.reason ?? 'not accepted yet'}`,
          ),
        ),
      ),
      h('div', { className: 'message-actions' }, retry, remove),
    );
  };
  draw(await getJson<OutboxMessage[]>('/api/outbox', signal));
}
