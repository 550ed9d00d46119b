/**
 * The web client in a browser page, as its users meet it: a new context at the sign-in form, the
 * sign-in, and the wait for a view to be drawn whole.
 *
 * A view's heading is on the page before its content (the Inbox's heading while its list is still
 * asked for, the Certificates heading before the list); the app moves the focus to the heading once
 * the view is drawn (web-ui/src/main.ts, focusHeading). A test that waits for the heading alone and
 * then counts, measures or presses Tab reads a half-drawn view, which a slower machine shows longer;
 * one that waits for the focused heading reads it whole.
 */
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';

export interface WebClientPageOptions {
  viewport?: { width: number; height: number };
  context?: BrowserContextOptions;
  /** Runs in every page before the app (a stand-in for a browser API). */
  initScript?: string;
}

export interface SignInOptions extends WebClientPageOptions {
  /** Also wait until the server watches the user's INBOX for the page (see signedInPage). */
  watchingMail?: boolean;
}

/** Waits until the view whose level-1 heading is `heading` is drawn: its heading has the focus. */
export async function viewDrawn(page: Page, heading: string | RegExp): Promise<void> {
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).and(page.locator(':focus')).waitFor();
}

/** Opens Compose from the navigation (behind the Menu button on a phone) and waits for its form, drawn. */
export async function openCompose(page: Page, { phone = false }: { phone?: boolean } = {}): Promise<void> {
  if (phone) await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('link', { name: 'Compose' }).click();
  await viewDrawn(page, 'New message');
}

/**
 * Sends a mail from the page's session as Compose posts it (a form to /api/send with the CSRF
 * token), for tests that need mail in a folder rather than a walk through Compose; the server's answer.
 */
export async function sendFromPage(page: Page, fields: { to: string; subject: string; body: string; sign: boolean; encrypt: boolean }): Promise<{ kind: string; encrypted?: boolean }> {
  return page.evaluate(async (fields) => {
    const { csrfToken } = (await (await fetch('/api/session')).json()) as { csrfToken: string };
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.set(name, String(value));
    return (await (await fetch('/api/send', { method: 'POST', headers: { 'x-csrf-token': csrfToken }, body: form })).json()) as { kind: string; encrypted?: boolean };
  }, fields);
}

/** A page of a new browser context at the web client's sign-in form. */
export async function signInForm(browser: Browser, url: string, { viewport = { width: 1280, height: 860 }, context = {}, initScript }: WebClientPageOptions = {}): Promise<Page> {
  const browserContext = await browser.newContext({ viewport, ...context });
  if (initScript) await browserContext.addInitScript(initScript);
  const page = await browserContext.newPage();
  await page.goto(url);
  return page;
}

/** Fills in the sign-in form and sends it; what follows (the Inbox, a refusal) is the caller's to wait for. */
export async function submitSignIn(page: Page, user: string, password: string): Promise<void> {
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * A page of a new browser context signed in as `user`, on the Inbox, drawn. `watchingMail`: also
 * wait for the page's event stream to open, which the server answers once it watches the INBOX (IMAP
 * IDLE, or the Maildir): mail that arrives from then on is pushed to the page as it arrives (mail
 * that came before is caught up with when the stream says 'ready', web-ui/src/main.ts).
 */
export async function signedInPage(browser: Browser, url: string, user: string, password: string, { watchingMail = false, ...options }: SignInOptions = {}): Promise<Page> {
  const page = await signInForm(browser, url, options);
  const watching = watchingMail ? page.waitForResponse((response) => new URL(response.url()).pathname === '/api/events' && response.ok()) : undefined;
  await submitSignIn(page, user, password);
  await viewDrawn(page, 'Inbox');
  await watching;
  return page;
}
