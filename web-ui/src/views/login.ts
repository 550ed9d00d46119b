import { ApiError, sendJson, setCsrfToken } from '../api.js';
import { h } from '../dom.js';

export function loginView(onSignedIn: (user: string) => void): HTMLElement {
  // A phone must not capitalise or "correct" the user name (Alice@… is another string to the eye).
  const user = h('input', { id: 'login-user', name: 'user', autocomplete: 'username', autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false', inputmode: 'email', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { className: 'form-error', role: 'alert' });
  const form = h(
    'form',
    { className: 'login card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Cachet Mail'),
    h('p', { className: 'muted' }, 'Secure mail with S/MIME. Sign in to continue.'),
    h('label', { for: 'login-user' }, 'User name'),
    user,
    h('label', { for: 'login-password' }, 'Password'),
    password,
    error,
    h('button', { type: 'submit', className: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      const result = await sendJson<{ user: string; csrfToken: string }>('POST', '/api/login', { user: user.value, password: password.value });
      setCsrfToken(result.csrfToken);
      onSignedIn(result.user);
    } catch (e) {
      error.textContent = e instanceof ApiError ? e.message : 'Sign-in failed';
    }
  });
  return h('main', { className: 'login-page' }, form);
}
