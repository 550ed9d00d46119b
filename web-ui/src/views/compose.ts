/**
 * Compose: recipient chips that say whether an encryption certificate was found (and where), lock and
 * seal toggles starting from the user's settings, attachments, and the group rule made visible before
 * anything leaves: a block names the recipients without certificates; "ask" needs an explicit choice
 * to send in clear; nothing is ever downgraded silently.
 */
import { ApiError, getJson, sendJson, uploadForm } from '../api.js';
import { clear, h, icon } from '../dom.js';
import { formatSize, parseRecipients } from '../format.js';
import { recipientLabel, refusalDetails } from './recipient-status.js';
import { attachSuggestions } from './contact-suggestions.js';
import { announceFoldersChanged } from './mailbox.js';
import type { GroupRuleChoiceView, MessageView, RecipientStatus, SendOutcome, SmimeSettingsView } from '../types.js';
import { autosave, loadDraft, type DraftFields } from '../drafts.js';
import { bodyFor, composeKind, forwardNote, HEADINGS, recipientsFor, subjectFor, type ComposeExtras } from '../compose-prefill.js';

interface Field {
  name: 'to' | 'cc' | 'bcc';
  addresses: string[];
  chips: HTMLElement;
  input: HTMLInputElement;
  /** Why typed text was not taken as an address (it stays in the input to be corrected). */
  error: HTMLElement;
  /** Why recipients' certificates were refused (views/recipient-status.ts). */
  details: HTMLElement;
}

function setting(view: SmimeSettingsView, key: string): unknown {
  return view.settings.find((s) => s.key === key)?.value;
}

/**
 * `to`: addresses to start with (a mailto: link), read like typed text. `draftId`: a saved draft to
 * continue (drafts.ts). `extras`: reply all, or a forward (compose-prefill.ts).
 */
export async function composeView(container: HTMLElement, replyToGiven: { folder: string; id: string } | null, to = '', draftId: string | null = null, extras: ComposeExtras = {}, signal?: AbortSignal): Promise<void> {
  clear(container);
  const draft = draftId ? await loadDraft(draftId) : null;
  // Overtaken by a newer view (`signal`, main.ts): nothing more is asked or drawn, no autosave starts.
  signal?.throwIfAborted();
  const replyTo = replyToGiven ?? draft?.replyTo ?? null;
  const [smime, { uploadLimitBytes }] = await Promise.all([getJson<SmimeSettingsView>('/api/settings/smime', signal), getJson<{ uploadLimitBytes: number }>('/api/session', signal)]);
  const kind = composeKind(replyTo !== null, extras);
  const source = extras.forward ?? replyTo;
  const original = source ? await getJson<MessageView>(`/api/folders/${encodeURIComponent(source.folder)}/messages/${encodeURIComponent(source.id)}`, signal) : null;
  const statuses = new Map<string, RecipientStatus>();

  const fields: Field[] = (['to', 'cc', 'bcc'] as const).map((name) => ({
    name,
    addresses: [],
    chips: h('ul', { className: 'chips', 'aria-label': `${name.toUpperCase()} recipients` }),
    // Text, not type=email: the browser would refuse `Name <address>` itself, before Cachet can read it.
    input: h('input', { id: `compose-${name}`, type: 'text', inputmode: 'email', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', 'aria-describedby': `chip-help compose-${name}-error` }),
    error: h('p', { id: `compose-${name}-error`, className: 'form-error field-error', 'data-testid': `compose-${name}-error`, hidden: true }),
    details: h('div', { className: 'recipient-details' }),
  }));
  const encryptionAllowed = setting(smime, 'enableEncryption') !== false;
  const signingAllowed = setting(smime, 'enableSigning') !== false;
  const encrypt = h('input', { type: 'checkbox', id: 'compose-encrypt', role: 'switch' });
  encrypt.checked = encryptionAllowed && (smime.composeDefaults.encrypt || original?.encrypted === true);
  encrypt.disabled = !encryptionAllowed;
  const sign = h('input', { type: 'checkbox', id: 'compose-sign', role: 'switch' });
  // The server's default (src/use-cases/send.ts): on for an active credential that signs, of role signing or both.
  sign.checked = signingAllowed && smime.composeDefaults.sign;
  sign.disabled = !signingAllowed;
  const subject = h('input', { id: 'compose-subject', value: original && !draft ? subjectFor(kind, original) : '' });
  const body = h('textarea', { id: 'compose-body', rows: 12 });
  if (original && !draft) body.value = bodyFor(kind, original);
  const forwarded = original ? forwardNote(kind, original) : null;
  const forwardedNote = forwarded ? h('p', { className: 'notice tone-neutral', 'data-testid': 'forward-note' }, forwarded) : null;
  // Sent once: the next message from this form carries nothing of the forwarded one.
  let forwarding = extras.forward;
  const files = h('input', { type: 'file', id: 'compose-attachments', multiple: true, 'aria-describedby': 'compose-attachments-limit' });
  const limitText = `Up to ${formatSize(uploadLimitBytes)} in all, with the message.`;
  const limit = h('p', { id: 'compose-attachments-limit', className: 'muted', 'data-testid': 'attachment-limit' }, limitText);
  /** The server refuses a larger request: said before uploading it, not after. */
  const tooLarge = (): boolean => {
    // The form's own fields and the multipart framing take a little room beside the files.
    const total = Array.from(files.files ?? []).reduce((sum, file) => sum + file.size, 0) + new Blob([subject.value, body.value]).size + 16 * 1024;
    const over = total > uploadLimitBytes;
    limit.className = over ? 'form-error' : 'muted';
    limit.textContent = over ? `Too large to send: the attachments come to ${formatSize(total)}, the limit is ${formatSize(uploadLimitBytes)}. Remove some, or send them separately.` : limitText;
    return over;
  };
  files.addEventListener('change', () => void tooLarge());
  const feedback = h('div', { className: 'compose-feedback', role: 'status', 'aria-live': 'polite', 'data-testid': 'compose-feedback' });
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': 'Sending progress' });

  const renderChips = (field: Field) => {
    clear(field.chips);
    // Why a recipient's certificates were refused, under the field, open on demand — and left open
    // (and focused) across redraws: another recipient's lookup finishing redraws every field.
    const wasOpen = new Set(Array.from(field.details.querySelectorAll('details[open]'), (d) => d.getAttribute('data-address') ?? ''));
    const focused = document.activeElement?.closest('.refusals details')?.getAttribute('data-address');
    field.details.replaceChildren(refusalDetails(field.addresses.map((a) => statuses.get(a)), wasOpen) ?? '');
    if (focused) field.details.querySelector<HTMLElement>(`details[data-address="${CSS.escape(focused)}"] summary`)?.focus();
    for (const address of field.addresses) {
      const status = statuses.get(address);
      const tone = !status ? 'pending' : status.found ? (status.keyChanged ? 'warn' : 'good') : 'bad';
      const label = recipientLabel(status);
      const remove = h('button', { type: 'button', className: 'chip-remove', 'aria-label': `Remove ${address}` }, '×');
      remove.addEventListener('click', () => {
        field.addresses = field.addresses.filter((a) => a !== address);
        renderChips(field);
        field.chips.dispatchEvent(new Event('cachet:recipients-changed', { bubbles: true }));
      });
      // The icon is decorative: the hidden text says the state once, to screen readers; the title to the eye.
      field.chips.append(
        h(
          'li',
          { className: `chip tone-${tone}`, 'data-address': address, 'data-cert': status ? String(status.found) : 'pending', title: label },
          icon(status?.found ? 'lock' : status ? 'unlock' : 'dash', label, true),
          h('span', {}, address),
          h('span', { className: 'visually-hidden' }, `: ${label}`),
          remove,
        ),
      );
    }
  };
  const lookup = async (addresses: string[]) => {
    if (addresses.length === 0) return;
    try {
      for (const status of await sendJson<RecipientStatus[]>('POST', '/api/recipients', { addresses })) statuses.set(status.address.toLowerCase(), status);
    } catch {
      // a failed lookup leaves the chips pending; sending re-checks on the server
    }
    fields.forEach(renderChips);
  };
  /** Takes the typed addresses as chips; returns false when some text could not be read (kept, with the reason shown). */
  const commit = (field: Field): boolean => {
    const { addresses, refused } = parseRecipients(field.input.value);
    const added = [...new Set(addresses)].filter((a) => !field.addresses.includes(a));
    field.addresses.push(...added);
    field.input.value = refused.map((r) => r.text).join(', ');
    field.error.hidden = refused.length === 0;
    field.error.textContent = refused.map((r) => `“${r.text}”: ${r.reason}`).join(' ');
    // Nothing new (a blur as the reader clicks a refusal's details): no redraw to swallow that click.
    if (added.length > 0) renderChips(field);
    void lookup(added);
    return refused.length === 0;
  };
  // Suggestions from the address book and the directory, each with its certificate state.
  for (const field of fields) attachSuggestions(field.input, (address) => {
    field.input.value = address;
    commit(field);
  });
  for (const field of fields) {
    field.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ',' || event.key === ';') {
        event.preventDefault();
        commit(field);
      }
    });
    field.input.addEventListener('blur', () => commit(field));
  }
  if (to) {
    fields[0]!.input.value = to;
    commit(fields[0]!);
  }
  if (original && !draft) {
    const start = recipientsFor(kind, original);
    fields[0]!.addresses.push(...start.to);
    fields[1]!.addresses.push(...start.cc);
    void lookup([...start.to, ...start.cc]);
  }

  const sendButton = h('button', { type: 'submit', className: 'primary' }, 'Send');
  // Attachments are not part of a draft (a browser cannot hand a chosen file back after a reload): said here.
  const draftStatus = h('p', { className: 'draft-status muted', role: 'status', 'data-testid': 'draft-status' }, 'Drafts are saved as you type, encrypted to you; attachments are not kept in drafts.');
  let sending = false;
  const setSending = (on: boolean) => {
    sending = on;
    sendButton.disabled = on;
    sendButton.setAttribute('aria-busy', String(on));
  };
  /** After a message left (or is queued): an empty form, so nothing of it is carried into the next one. */
  const reset = () => {
    for (const field of fields) {
      field.addresses = [];
      field.input.value = '';
      field.error.hidden = true;
      renderChips(field);
    }
    subject.value = '';
    body.value = '';
    forwarding = undefined;
    forwardedNote?.remove();
    files.value = '';
    tooLarge();
  };
  /** `answer`: the user's choice when the group rule asked (none on a first try). */
  const send = async (answer?: GroupRuleChoiceView) => {
    // One send at a time: a double click must not send the same mail twice.
    if (sending) return;
    const unread = fields.filter((field) => !commit(field));
    if (unread.length > 0) {
      unread[0]!.input.focus();
      return;
    }
    if (tooLarge()) {
      files.focus();
      return;
    }
    setSending(true);
    clear(feedback);
    const working = h('p', { className: 'progress', 'data-testid': 'send-progress' }, 'Uploading…');
    const serverWork = sign.checked && encrypt.checked ? 'Signing and encrypting' : sign.checked ? 'Signing' : encrypt.checked ? 'Encrypting' : 'Sending';
    feedback.append(working);
    const form = new FormData();
    for (const field of fields) form.set(field.name, field.addresses.join(','));
    form.set('subject', subject.value);
    form.set('body', body.value);
    form.set('sign', String(sign.checked));
    form.set('encrypt', String(encrypt.checked));
    form.set('allowUnencrypted', String(answer === 'send-unencrypted'));
    form.set('leaveOutMissing', String(answer === 'leave-out'));
    if (replyTo && !forwarding) {
      form.set('replyFolder', replyTo.folder);
      form.set('replyId', replyTo.id);
    }
    if (forwarding) {
      form.set('forwardFolder', forwarding.folder);
      form.set('forwardId', forwarding.id);
      form.set('forwardMode', forwarding.mode);
    }
    for (const file of Array.from(files.files ?? [])) form.append('attachment', file, file.name);
    progress.hidden = false;
    progress.value = 0;
    try {
      const outcome = await uploadForm<SendOutcome>('/api/send', form, (fraction) => {
        progress.value = fraction;
        // The upload is done; the server now does the S/MIME work and hands the mail over.
        if (fraction >= 1) {
          progress.removeAttribute('value');
          working.textContent = `${serverWork} on the server…`;
        }
      });
      progress.hidden = true;
      showOutcome(outcome);
      if (outcome.kind === 'sent' || outcome.kind === 'queued') {
        reset();
        await drafts.sent();
        // Sent, the Outbox and the draft gone: the counts beside the folders change.
        announceFoldersChanged();
      }
    } catch (e) {
      progress.hidden = true;
      clear(feedback);
      feedback.append(h('p', { className: 'form-error', role: 'alert' }, e instanceof ApiError ? e.message : 'Sending failed'));
    } finally {
      setSending(false);
    }
  };
  const showOutcome = (outcome: SendOutcome) => {
    clear(feedback);
    // Who was left out is part of the report, never only a passing notice.
    const leftOut = (list: RecipientStatus[]) =>
      list.length === 0 ? null : h('div', { className: 'notice tone-warn', 'data-testid': 'left-out' }, h('p', {}, `Left out (no usable certificate), they did not receive it:`), h('ul', {}, ...list.map((m) => h('li', {}, `${m.address}: ${m.reason ?? 'no usable certificate'}`))));
    if (outcome.kind === 'sent') {
      feedback.append(h('p', { className: 'notice tone-good' }, `Sent${outcome.encrypted ? ', encrypted' : ''}${outcome.signed ? ' and signed' : ''}.`), leftOut(outcome.leftOut) ?? '', ...outcome.warnings.map((w) => h('p', { className: 'status-warning' }, w)));
    } else if (outcome.kind === 'queued') {
      // Said per recipient: a mail delivered to some is not "not sent", and how it went (in clear?) is said too.
      const how = `${outcome.encrypted ? ', encrypted' : ''}${outcome.signed ? ' and signed' : ''}`;
      feedback.append(
        outcome.delivered.length > 0
          ? h('p', { className: 'notice tone-good', 'data-testid': 'delivered' }, `Sent${how} to ${outcome.delivered.join(', ')}.`)
          : h('p', { className: 'notice tone-warn' }, 'Not sent yet.'),
        outcome.waiting.length > 0
          ? h('p', { className: 'notice tone-warn', 'data-testid': 'waiting' }, `Not delivered yet to ${outcome.waiting.join(', ')}: ${outcome.reason}.${/outbox/i.test(outcome.reason) ? '' : ' It is safe in the Outbox.'} Retry it from the Outbox.`)
          : '',
        // Turned away for good by the receiving side (no such user): said with its words, kept in the Outbox.
        outcome.refused.length > 0
          ? h(
              'div',
              { className: 'notice tone-warn', 'data-testid': 'refused' },
              h('p', {}, 'Refused, they did not receive it:'),
              h('ul', {}, ...outcome.refused.map((r) => h('li', {}, h('bdi', {}, r.address), `: ${r.reason}`))),
              h('p', {}, 'It stays in the Outbox: retry it there once that is mended, or delete it.'),
            )
          : '',
        leftOut(outcome.leftOut) ?? '',
        ...outcome.warnings.map((w) => h('p', { className: 'status-warning' }, w)),
      );
    } else {
      const list = h('ul', {}, ...outcome.missing.map((m) => h('li', {}, `${m.address}: ${m.reason ?? 'no usable certificate'}`)));
      // The answers the group rule offers (src/use-cases/send.ts decides which): leaving them out keeps it encrypted.
      const answers = outcome.choices.map((choice) =>
        choice === 'leave-out'
          ? h('button', { type: 'button', className: 'primary', onclick: () => void send('leave-out') }, 'Send encrypted to the others, leave them out')
          : h('button', { type: 'button', className: 'danger', onclick: () => void send('send-unencrypted') }, 'Send unencrypted to everyone'),
      );
      if (outcome.kind === 'refused') {
        feedback.append(h('div', { className: 'decision', role: 'alert' }, h('p', { className: 'form-error' }, outcome.message), list, ...answers));
      } else {
        feedback.append(h('div', { className: 'decision', role: 'alertdialog', 'aria-label': 'Send without encryption?' }, h('p', {}, outcome.question), list, ...answers, h('button', { type: 'button', onclick: () => clear(feedback) }, 'Cancel')));
      }
    }
  };

  const form = h(
    'form',
    { className: 'compose card', 'aria-label': 'New message', novalidate: true },
    h('h1', { tabindex: -1 }, HEADINGS[kind]),
    h('p', { id: 'chip-help', className: 'visually-hidden' }, 'Press Enter after each address; each address shows whether an encryption certificate was found.'),
    ...fields.flatMap((f) => [h('label', { for: `compose-${f.name}` }, f.name === 'to' ? 'To' : f.name === 'cc' ? 'Cc' : 'Bcc'), h('div', { className: 'recipient-field' }, f.chips, f.input), f.error, f.details]),
    h('label', { for: 'compose-subject' }, 'Subject'),
    subject,
    h(
      'div',
      { className: 'toggles' },
      h('label', { className: 'toggle', for: 'compose-encrypt' }, encrypt, icon('lock', 'Encrypt', true), ' Encrypt', encryptionAllowed ? null : h('span', { className: 'muted' }, ' (disabled in settings)')),
      h('label', { className: 'toggle', for: 'compose-sign' }, sign, icon('seal', 'Sign', true), ' Sign'),
    ),
    h('label', { for: 'compose-body' }, 'Message'),
    body,
    h('label', { for: 'compose-attachments' }, 'Attachments'),
    files,
    forwardedNote,
    limit,
    progress,
    sendButton,
    draftStatus,
    feedback,
  );
  encrypt.addEventListener('change', () => {
    if (!encrypt.checked && original?.encrypted) {
      // A reply quoting decrypted text must not go out in clear by accident.
      if (!window.confirm(`The message you ${extras.forward ? 'forward' : 'reply to'} was encrypted. Send ${extras.forward ? 'it' : 'your reply, with its quote,'} unencrypted?`)) encrypt.checked = true;
    }
  });
  // Enter in a one-line field (Subject) would submit the form: only the Send button sends.
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && event.target instanceof HTMLInputElement && event.target.type === 'text') event.preventDefault();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void send();
  });
  container.append(form);
  if (draft) {
    for (const field of fields) field.addresses = [...draft[field.name]];
    subject.value = draft.subject;
    body.value = draft.body;
    void lookup(fields.flatMap((f) => f.addresses));
  }
  fields.forEach(renderChips);
  const readDraft = (): DraftFields => ({ to: [...fields[0]!.addresses], cc: [...fields[1]!.addresses], bcc: [...fields[2]!.addresses], subject: subject.value, body: body.value, replyTo });
  const drafts = autosave(form, readDraft, draftStatus, draftId);
}
