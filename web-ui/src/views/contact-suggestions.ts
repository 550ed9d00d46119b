/**
 * Autocomplete for a recipient field: as the user types (two characters or more), people from the
 * address book and the directory (GET /api/contacts), each option showing the certificate state the
 * send would find. Arrow keys move, Enter or a tap picks; Escape closes. A combobox with a listbox,
 * as WAI-ARIA describes it.
 */
import { getJson } from '../api.js';
import { h, icon } from '../dom.js';
import type { ContactSuggestionsView } from '../types.js';
import { recipientLabel } from './recipient-status.js';

const DEBOUNCE_MS = 200;

export function attachSuggestions(input: HTMLInputElement, pick: (address: string) => void): void {
  const id = `${input.id}-suggestions`;
  const list = h('ul', { id, className: 'suggestions', role: 'listbox', 'aria-label': 'Suggested recipients', hidden: true });
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', id);
  input.setAttribute('aria-expanded', 'false');
  let options: string[] = [];
  let active = -1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;

  const close = () => {
    list.hidden = true;
    list.replaceChildren();
    options = [];
    active = -1;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  };
  const highlight = (index: number) => {
    active = index;
    list.querySelectorAll('[role="option"]').forEach((option, i) => option.setAttribute('aria-selected', String(i === index)));
    if (index >= 0) input.setAttribute('aria-activedescendant', `${id}-${index}`);
  };
  const choose = (address: string) => {
    close();
    pick(address);
  };
  const show = (view: ContactSuggestionsView) => {
    // Placed on first use: the field is put into its form after this is attached.
    if (!list.isConnected) input.after(list);
    list.replaceChildren();
    options = view.suggestions.map((s) => s.address);
    view.suggestions.forEach((s, i) => {
      const label = recipientLabel(s.status);
      const tone = s.status.found ? (s.status.keyChanged ? 'warn' : 'good') : 'bad';
      const option = h(
        'li',
        { id: `${id}-${i}`, role: 'option', 'aria-selected': 'false', className: `suggestion tone-${tone}`, 'data-address': s.address, 'data-cert': String(s.status.found) },
        icon(s.status.found ? 'lock' : 'unlock', label, true),
        h('span', { className: 'suggestion-who' }, s.name ? `${s.name} <${s.address}>` : s.address),
        h('span', { className: 'suggestion-cert' }, label),
      );
      // Picked on mousedown, before the field loses focus (its blur would take the half-typed text).
      option.addEventListener('mousedown', (event) => {
        event.preventDefault();
        choose(s.address);
      });
      list.append(option);
    });
    if (view.directoryProblem) list.append(h('li', { className: 'suggestion-note muted', role: 'presentation' }, `Directory: ${view.directoryProblem}`));
    list.hidden = list.childElementCount === 0;
    input.setAttribute('aria-expanded', String(!list.hidden));
    highlight(-1);
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const typed = input.value.trim();
    if (typed.length < 2 || /[,;]/.test(typed)) return close();
    timer = setTimeout(async () => {
      const mine = ++asked;
      const view = await getJson<ContactSuggestionsView>(`/api/contacts?q=${encodeURIComponent(typed)}`).catch(() => null);
      // Only the answer to what is typed now is shown.
      if (view && mine === asked && input.value.trim() === typed) show(view);
    }, DEBOUNCE_MS);
  });
  // Capture: before the field's own Enter (which takes the typed text as an address).
  input.addEventListener(
    'keydown',
    (event) => {
      if (list.hidden || options.length === 0) return;
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        highlight((active + (event.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length);
      } else if (event.key === 'Enter' && active >= 0) {
        event.preventDefault();
        event.stopImmediatePropagation();
        choose(options[active]!);
      } else if (event.key === 'Escape') close();
    },
    true,
  );
  input.addEventListener('blur', () => setTimeout(close, 0));
}
