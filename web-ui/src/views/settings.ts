/** Settings → S/MIME: the user's switches (locked ones shown as locked) and the chosen certificates. */
import { ApiError, getJson, sendJson } from '../api.js';
import { clear, h, icon } from '../dom.js';
import { formatDate } from '../format.js';
import type { DirectoryLoginView, SettingView, SmimeSettingsView } from '../types.js';
import { certificatePanel } from './status.js';

const LABELS: Record<string, string> = {
  enableSigning: 'Enable signing',
  enableEncryption: 'Enable encryption',
  encryptByDefault: 'Encrypt by default',
};

function settingSwitch(setting: SettingView, feedback: HTMLElement): HTMLElement {
  const id = `setting-${setting.key}`;
  const input = h('input', { type: 'checkbox', id, role: 'switch', 'aria-describedby': setting.locked ? `${id}-locked` : undefined });
  input.checked = setting.value === true;
  input.disabled = setting.locked;
  input.addEventListener('change', async () => {
    clear(feedback);
    try {
      await sendJson('PUT', `/api/settings/${encodeURIComponent(setting.key)}`, { value: input.checked });
      feedback.append(h('p', { className: 'notice tone-good' }, `${LABELS[setting.key] ?? setting.key}: ${input.checked ? 'on' : 'off'}`));
    } catch (e) {
      input.checked = !input.checked;
      feedback.append(h('p', { className: 'form-error', role: 'alert' }, e instanceof ApiError ? e.message : 'Could not save'));
    }
  });
  return h(
    'div',
    { className: 'setting' },
    h('label', { for: id }, input, ` ${LABELS[setting.key] ?? setting.key}`),
    setting.locked ? h('span', { id: `${id}-locked`, className: 'locked' }, icon('lock', 'Locked', true), ' Locked by your administrator') : null,
  );
}

/**
 * A directory that answers bound users only: the password is checked by the server against the
 * directory and kept in the user's vault; the browser never stores it.
 */
function directorySection(initial: DirectoryLoginView): HTMLElement {
  const section = h('section', { className: 'directory', 'aria-labelledby': 'directory-title', 'data-testid': 'directory' });
  const render = (state: DirectoryLoginView, message?: HTMLElement): void => {
    clear(section);
    section.append(h('h2', { id: 'directory-title' }, 'Directory'));
    if (message) section.append(message);
    if (state.loggedIn) {
      const forget = h('button', { type: 'button' }, 'Forget the password');
      forget.addEventListener('click', async () => {
        try {
          const result = await sendJson<{ directory: DirectoryLoginView | null }>('POST', '/api/directory/logout', {});
          if (result.directory) render(result.directory, h('p', { className: 'notice tone-neutral' }, 'The directory password is forgotten.'));
        } catch (e) {
          render(state, h('p', { className: 'form-error', role: 'alert' }, e instanceof ApiError ? e.message : 'Could not forget the password'));
        }
      });
      section.append(h('p', {}, `Recipients' certificates are looked up in ${state.url} as ${state.bindDn ?? 'you'}.`), forget);
      return;
    }
    const dn = h('input', { id: 'directory-dn', name: 'bindDn', autocomplete: 'username', value: state.bindDn ?? '', required: true });
    dn.readOnly = state.bindDnLocked;
    const password = h('input', { id: 'directory-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const form = h(
      'form',
      { className: 'directory-login' },
      h('p', { className: 'notice tone-warn' }, `The directory ${state.url} needs your password to find recipients' certificates.`),
      h('label', { for: 'directory-dn' }, state.bindDnLocked ? 'Bind DN (set by your administrator)' : 'Bind DN'),
      dn,
      h('label', { for: 'directory-password' }, 'Directory password'),
      password,
      h('button', { type: 'submit', className: 'primary' }, 'Check and keep'),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const next = await sendJson<DirectoryLoginView>('POST', '/api/directory/login', { password: password.value, ...(state.bindDnLocked ? {} : { bindDn: dn.value }) });
        render(next, h('p', { className: 'notice tone-good', role: 'status' }, 'The directory accepted your password; it is kept in your vault.'));
      } catch (e) {
        render(state, h('p', { className: 'form-error', role: 'alert' }, e instanceof ApiError ? e.message : 'The directory could not be reached'));
      }
    });
    section.append(form);
  };
  render(initial);
  return section;
}

const SOURCE_TEXT: Record<SmimeSettingsView['source'], string> = {
  email: 'Your keys are the certificates your administrator mailed you, kept in your encrypted vault.',
  sharedVault: 'Your keys are kept in the shared vault, where your identity-provider app puts them.',
  derivedCredentials: 'Your keys are on your token (smart card); they never leave it.',
};

/** derivedCredentials: the token's PIN opens it for this session; the PIN is not stored. */
function tokenSection(view: SmimeSettingsView, container: HTMLElement): HTMLElement | null {
  if (view.source !== 'derivedCredentials' || view.tokenUnlocked) return null;
  const pin = h('input', { id: 'token-pin', name: 'pin', type: 'password', inputmode: 'numeric', autocomplete: 'off', required: true });
  const error = h('p', { className: 'form-error', role: 'alert' });
  const form = h(
    'form',
    { className: 'directory-login', 'data-testid': 'token-unlock' },
    h('label', { for: 'token-pin' }, 'PIN of your token'),
    pin,
    error,
    h('button', { type: 'submit', className: 'primary' }, 'Unlock token'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      await sendJson<SmimeSettingsView>('POST', '/api/token/unlock', { pin: pin.value });
      await settingsView(container);
    } catch (e) {
      pin.value = '';
      error.textContent = e instanceof ApiError ? e.message : 'The token could not be opened';
    }
  });
  return form;
}

/** `signal`: the route's (main.ts): aborted, its request is cancelled and nothing is drawn. */
export async function settingsView(container: HTMLElement, signal?: AbortSignal): Promise<void> {
  clear(container);
  const view = await getJson<SmimeSettingsView>('/api/settings/smime', signal);
  const feedback = h('div', { role: 'status', 'aria-live': 'polite' });
  const whatToDo: Record<SmimeSettingsView['source'], string> = {
    email: 'S/MIME needs your certificates: open the mail from your administrator and import the attached .pfx files.',
    sharedVault: 'S/MIME needs your certificates: open your identity-provider app so that it deposits them in the shared vault.',
    derivedCredentials: view.tokenUnlocked ? 'S/MIME needs your certificates: your token holds none; ask your administrator to issue derived credentials onto it.' : 'S/MIME needs your token: unlock it with its PIN below.',
  };
  const firstLaunch =
    view.firstLaunch === 'ask-import'
      ? h('p', { className: 'notice tone-warn', 'data-testid': 'first-launch' }, whatToDo[view.source])
      : view.firstLaunch === 'disabled'
        ? h('p', { className: 'notice tone-neutral', 'data-testid': 'first-launch' }, 'S/MIME is off until you enable it here.')
        : null;
  container.append(
    h(
      'section',
      { className: 'settings card', 'aria-labelledby': 'settings-title' },
      h('h1', { id: 'settings-title' }, 'Settings → S/MIME'),
      firstLaunch,
      h('p', { className: 'muted', 'data-testid': 'certificate-source' }, SOURCE_TEXT[view.source]),
      view.sourceProblem ? h('p', { className: 'notice tone-warn', role: 'alert', 'data-testid': 'source-problem' }, view.sourceProblem) : null,
      tokenSection(view, container),
      ...view.settings.filter((s) => s.key in LABELS).map((s) => settingSwitch(s, feedback)),
      feedback,
      view.directory ? directorySection(view.directory) : null,
      h('h2', {}, 'Your certificates'),
      view.credentials.length === 0
        ? h('p', { className: 'muted' }, view.source === 'email' ? 'No certificates yet. Import them from the mail your administrator sent (open it and choose "Import certificate").' : 'No certificates to show yet.')
        : h(
            'ul',
            { className: 'credentials' },
            ...view.credentials.map((c) =>
              h(
                'li',
                { 'data-role': c.role },
                h('strong', {}, c.role === 'both' ? 'Signing and encryption' : c.role === 'signing' ? 'Signing' : 'Encryption'),
                ` — ${c.email.join(', ') || c.subject}${c.active ? '' : ' (older, kept to read old mail)'} — valid until ${formatDate(c.notAfter)}`,
                c.certificate ? certificatePanel(c.certificate) : null,
              ),
            ),
          ),
    ),
  );
}

export async function policyView(container: HTMLElement, signal?: AbortSignal): Promise<void> {
  clear(container);
  const rows = await getJson<SettingView[]>('/api/policy', signal);
  container.append(
    h(
      'section',
      { className: 'card', 'aria-labelledby': 'policy-title' },
      h('h1', { id: 'policy-title' }, 'Effective policy'),
      h('p', { className: 'muted' }, 'Set by your administrator; read-only here.'),
      h(
        'table',
        { className: 'policy' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Setting'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'From'))),
        h(
          'tbody',
          {},
          ...rows.map((r) =>
            h('tr', {}, h('th', { scope: 'row' }, r.key), h('td', {}, typeof r.value === 'object' ? JSON.stringify(r.value) : String(r.value)), h('td', {}, r.locked ? `${r.origin} (locked)` : r.origin)),
          ),
        ),
      ),
    ),
  );
}
