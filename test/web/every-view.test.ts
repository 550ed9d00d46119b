/**
 * Issue 16: every view of the web client, walked in Debian's Chromium at desktop and phone size
 * (390×844), passes axe-core (@axe-core/playwright) with no serious or critical violation, gets the
 * focus on its heading when opened, and on a phone scrolls nowhere sideways (document scrollWidth ≤
 * the viewport) and offers no control smaller than a fingertip (44 px). Screenshots of each view go
 * to test-artifacts/web/view-*.png.
 *
 * To add a view: one entry in VIEWS (how to open it, and the heading it shows).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { screenshotPath } from '../helpers/browser.js';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { sendFromPage, viewDrawn } from '../helpers/web-client-page.js';

let web: DemoWebClient;
const ALICE = 'alice@example.org';

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-views-' });
  // Something in every view: a message sent by bob to alice (Inbox, message), one waiting in her Outbox.
  const bob = await web.signIn('bob');
  assert.equal((await sendFromPage(bob, { to: ALICE, subject: 'Quarterly figures', body: 'See the figures below.', sign: false, encrypt: false })).kind, 'sent');
  await bob.context().close();
  const alice = await web.signIn('alice');
  assert.equal((await sendFromPage(alice, { to: 'nobody@elsewhere.example', subject: 'Waiting', body: 'x', sign: false, encrypt: false })).kind, 'queued');
  await alice.context().close();
});

after(() => web?.close());

interface View {
  name: string;
  /** Opens the view in a signed-in page; by default, goes to `hash`. */
  open?: (page: Page) => Promise<void>;
  hash?: string;
  /** The view's heading (h1), which gets the focus. */
  heading: string | RegExp;
}

const VIEWS: View[] = [
  { name: 'mailbox', hash: '#/folder/INBOX', heading: 'Inbox' },
  {
    name: 'message',
    heading: 'Quarterly figures',
    open: async (page) => {
      await page.evaluate(() => (location.hash = '#/folder/INBOX'));
      await page.getByTestId('message-link').filter({ hasText: 'Quarterly figures' }).first().click();
    },
  },
  { name: 'compose', hash: '#/compose', heading: 'New message' },
  // mailops: the search on the server (its panel open, with results), reply all and forward as attachment.
  { name: 'server-search', hash: '#/folder/INBOX?subject=Quarterly', heading: 'Inbox' },
  {
    name: 'reply-all',
    heading: 'Reply all',
    open: async (page) => {
      await page.evaluate(() => (location.hash = '#/folder/INBOX'));
      await page.getByTestId('message-link').filter({ hasText: 'Quarterly figures' }).first().click();
      await page.getByRole('button', { name: 'Reply all' }).click();
    },
  },
  {
    name: 'forward-attachment',
    heading: 'Forward as attachment',
    open: async (page) => {
      await page.evaluate(() => (location.hash = '#/folder/INBOX'));
      await page.getByTestId('message-link').filter({ hasText: 'Quarterly figures' }).first().click();
      await page.getByText('Forward', { exact: true }).click();
      await page.getByRole('button', { name: 'Forward as attachment' }).click();
    },
  },
  { name: 'settings', hash: '#/settings', heading: /^Settings/ },
  { name: 'policy', hash: '#/admin', heading: 'Effective policy' },
  { name: 'certificates', hash: '#/certificates', heading: 'Certificates' },
  { name: 'outbox', hash: '#/folder/Outbox', heading: 'Outbox' },
  { name: 'drafts', hash: '#/folder/Drafts', heading: 'Drafts' },
  { name: 'sent', hash: '#/folder/Sent', heading: 'Sent' },
];

const SIZES = [
  ['desktop', { width: 1280, height: 860 }],
  ['phone', { width: 390, height: 844 }],
] as const;

/** Serious and critical axe violations, as "rule: target" lines. */
async function axeProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${n.failureSummary ?? ''}`));
}

/** Controls a fingertip cannot hit reliably: visible buttons, fields, switches and navigation links under 44 px. */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const controls = document.querySelectorAll<HTMLElement>('button, a.button, .folders a, .nav-link, input, select, textarea');
    for (const element of Array.from(controls)) {
      // A checkbox is hit through its label (the whole row), which is what is measured.
      const target = element instanceof HTMLInputElement && (element.type === 'checkbox' || element.type === 'radio') ? (element.closest('label') ?? element) : element;
      const box = target.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || getComputedStyle(target).visibility === 'hidden') continue;
      if (box.height < 44 || box.width < 44) out.push(`${target.tagName.toLowerCase()}${target.id ? `#${target.id}` : ''}.${target.className} "${(target.textContent ?? '').trim().slice(0, 30)}" ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
    return out;
  });
}

async function checkView(page: Page, label: string, width: number, phone: boolean): Promise<void> {
  const problems = await axeProblems(page);
  assert.deepEqual(problems, [], `${label}: axe-core found serious or critical violations`);
  if (phone) {
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= width, `${label}: the page scrolls sideways (${scrollWidth} px > ${width} px)`);
    assert.deepEqual(await smallTargets(page), [], `${label}: controls smaller than 44 px`);
  }
  await page.screenshot({ path: screenshotPath(`view-${label}`), fullPage: true });
}

for (const [size, viewport] of SIZES) {
  test(`${size}: the sign-in view passes axe, has the phone-friendly fields, and no sideways scrolling`, async () => {
    const page = await (await web.browser.newContext({ viewport })).newPage();
    await page.goto(web.server.url);
    await page.getByRole('heading', { name: 'Cachet Mail' }).waitFor();
    const user = page.getByLabel('User name');
    assert.equal(await user.getAttribute('autocapitalize'), 'off');
    assert.equal(await user.getAttribute('autocomplete'), 'username');
    assert.equal(await page.getByLabel('Password').getAttribute('autocomplete'), 'current-password');
    await checkView(page, `sign-in-${size}`, viewport.width, size === 'phone');
    await page.context().close();
  });

  test(`${size}: every view passes axe, focuses its heading${size === 'phone' ? ', fits 390 px and has 44 px targets' : ''}`, async () => {
    const page = await web.signIn('alice', { viewport });
    for (const view of VIEWS) {
      if (view.open) await view.open(page);
      else await page.evaluate((hash) => (location.hash = hash), view.hash!);
      await page.getByRole('heading', { level: 1, name: view.heading }).waitFor();
      // Drawn whole, the view gives its heading the focus; one that never does fails here, saying where the focus is.
      await viewDrawn(page, view.heading).catch(async (error: unknown) => {
        const focused = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80));
        assert.fail(`${view.name}: the focus is not on the view's heading (it is on ${focused}): ${String(error)}`);
      });
      await checkView(page, `${view.name}-${size}`, viewport.width, size === 'phone');
    }
    // The shortcut list (a dialog over the current view) too.
    await page.evaluate(() => (location.hash = '#/folder/INBOX'));
    await viewDrawn(page, 'Inbox');
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await checkView(page, `shortcuts-${size}`, viewport.width, size === 'phone');
    await page.context().close();
  });
}
