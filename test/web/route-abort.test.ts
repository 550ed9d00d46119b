/**
 * Issue 16, a view overtaken by a newer navigation (web-ui/src/main.ts route(), Chromium through
 * playwright-core): a message that the server is slow to open, left by two quick clicks for another
 * message, has its request cancelled (the browser aborts it), never paints over the newer view, asks
 * nothing more of the server (its toolbar, its conversation) and shows no error for the abort.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshotPath } from '../helpers/browser.js';
import { createDemoOrganisation, type DemoOrganisation } from '../../src/use-cases/demo-org.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';
import { startWebServer, type RunningWebServer } from '../../src/front-ends/web/node-adapter.js';
import type { MessageView } from '../../src/front-ends/web/mail-service.js';

/** The demo service, with one message held at the server until the test lets it go, and its conversations counted. */
class SlowToOpen extends ClientMailService {
  slowId = '';
  private let!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.let = resolve));
  private reached!: () => void;
  /** Resolves once the slow message's reading has reached the server. */
  readonly entered = new Promise<void>((resolve) => (this.reached = resolve));
  private done!: () => void;
  /** Resolves once the server has answered the slow message's reading. */
  readonly answered = new Promise<void>((resolve) => (this.done = resolve));
  readonly conversationsAsked: string[] = [];

  constructor(home: string) {
    super(home);
    const conversation = this.operations.conversation.bind(this.operations);
    this.operations.conversation = (user, folder, id) => {
      this.conversationsAsked.push(id);
      return conversation(user, folder, id);
    };
  }

  release(): void {
    this.let();
  }

  override async readMessage(address: string, folder: string, id: string): Promise<MessageView> {
    if (id !== this.slowId) return super.readMessage(address, folder, id);
    this.reached();
    await this.gate;
    try {
      return await super.readMessage(address, folder, id);
    } finally {
      this.done();
    }
  }
}

let home: string;
let org: DemoOrganisation;
let service: SlowToOpen;
let server: RunningWebServer;
let browser: Browser;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'cachet-web-route-abort-'));
  org = await createDemoOrganisation(home, { passwords: { alice: 'alice-password', bob: 'bob-password' } });
  service = new SlowToOpen(home);
  server = await startWebServer({ service, port: 0 });
  browser = await launchBrowser();
});
after(async () => {
  service?.release();
  await browser?.close();
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

test('a slow message view overtaken by a quick click is cancelled: no request goes on, nothing paints over the newer view, no error', async () => {
  const alice = org.users.find((u) => u.user.address.startsWith('alice@'))!;
  const mail = (subject: string) => Buffer.from(`From: Bob <bob@${org.domain}>\r\nTo: ${alice.user.address}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n\r\nThis is the ${subject}.\r\n`);
  service.slowId = await alice.user.mailbox.deliver('INBOX', mail('Slow one'));
  await alice.user.mailbox.deliver('INBOX', mail('Quick one'));

  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.url);
  await page.getByLabel('User name').fill(alice.user.address);
  await page.getByLabel('Password').fill(alice.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();

  const slowPath = `/api/folders/INBOX/messages/${encodeURIComponent(service.slowId)}`;
  const cancelled = page.waitForEvent('requestfailed', (request) => new URL(request.url()).pathname === slowPath);
  await page.getByTestId('message-link').filter({ hasText: 'Slow one' }).click();
  await service.entered;
  // Two quick clicks while the server still holds the slow one: the Inbox, then the other message.
  await page.getByRole('link', { name: 'Inbox' }).click();
  await page.getByTestId('message-link').filter({ hasText: 'Quick one' }).click();
  await page.getByRole('heading', { name: 'Quick one' }).waitFor();
  assert.match((await cancelled).failure()?.errorText ?? '', /ABORTED/, 'the slow view’s request was cancelled by the browser');

  service.release();
  await service.answered;
  // A round trip after the slow answer left the server: whatever the old view would still do has had its turn.
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: /settings/i }).first().waitFor();
  await page.goBack();
  await page.getByRole('heading', { name: 'Quick one' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Slow one' }).count(), 0, 'the slow view never painted over the newer one');
  assert.equal(await page.getByText('This is the Slow one.').count(), 0);
  assert.equal(await page.locator('.form-error, [role="alert"]').filter({ hasText: /wrong|abort/i }).count(), 0, 'the abort is no error shown to the user');
  assert.ok(!service.conversationsAsked.includes(service.slowId), 'the overtaken view asked the server nothing more');
  assert.deepEqual(pageErrors, []);
  await page.screenshot({ path: screenshotPath('route-abort-newer-view'), fullPage: true });
  await context.close();
});
