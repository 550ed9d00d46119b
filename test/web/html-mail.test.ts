/**
 * Issue 16, HTML mail in the browser (Debian's Chromium through playwright-core): the mail's sanitised
 * styles apply (inline and <style>) without anything remote being fetched; the frame is as tall as its
 * content; a link whose text is not its target opens only after Cachet shows the real target, in a new
 * tab without opener or referrer, and the message stays on screen (no error page in the frame); a
 * mailto: link starts a message in Compose, to that address.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshotPath } from '../helpers/browser.js';
import type { DemoOrganisation } from '../../src/use-cases/demo-org.js';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';

let web: DemoWebClient;
let org: DemoOrganisation;

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-html-' });
  ({ org } = web);
});

after(() => web?.close());

const HTML = [
  '<style>p.lead { color: rgb(200, 0, 0); } .banner { background: url(http://127.0.0.1:9/banner.png); }</style>',
  '<h1 id="headline">Offers</h1>',
  '<p class="lead" style="font-weight: 700; background-image: url(http://127.0.0.1:9/inline.png)">Styled lead</p>',
  '<div class="banner">Banner</div>',
  '<p><a id="disguised" href="https://offers.example.net/claim?id=7">https://bank.example.org/login</a></p>',
  '<p><a id="plain" href="https://docs.example.net/guide">https://docs.example.net/guide</a></p>',
  '<p><a id="mail" href="mailto:sales@example.net?subject=Order">Write to sales</a></p>',
  ...Array.from({ length: 40 }, (_, i) => `<p>Line ${i + 1} of the offer.</p>`),
].join('\n');

for (const [size, viewport] of [['desktop', { width: 1280, height: 860 }], ['phone', { width: 390, height: 844 }]] as const) {
  test(`${size}: styles apply, nothing remote is fetched, the frame fits its content, links open outside after showing their target`, async () => {
    const bob = org.users.find((u) => u.user.address.startsWith('bob'))!;
    const mail = [`From: shop@example.net`, `To: ${bob.user.address}`, `Subject: Offers ${size}`, 'MIME-Version: 1.0', 'Content-Type: text/html; charset=utf-8', '', HTML, ''].join('\r\n');
    await bob.user.mailbox.deliver('INBOX', Buffer.from(mail));
    const page = await web.signIn('bob', { viewport });
    const context = page.context();
    const opened: Array<{ url: string; referer: string | undefined }> = [];
    await context.route(/example\.net/, async (route) => {
      opened.push({ url: route.request().url(), referer: route.request().headers()['referer'] });
      await route.fulfill({ contentType: 'text/html', body: '<p>outside</p>' });
    });
    const requests: string[] = [];
    context.on('request', (request) => requests.push(request.url()));
    await page.getByRole('link', { name: new RegExp(`Offers ${size}`) }).click();
    const frame = page.frameLocator('iframe.message-frame');
    await frame.locator('#headline').waitFor();
    const lead = frame.locator('p.lead');
    await page.waitForFunction(() => {
      const doc = document.querySelector<HTMLIFrameElement>('iframe.message-frame')?.contentDocument;
      return doc ? getComputedStyle(doc.querySelector('p.lead')!).color === 'rgb(200, 0, 0)' : false;
    });
    assert.equal(await lead.evaluate((p) => getComputedStyle(p).fontWeight), '700', 'the inline style applies');
    const heights = await page.locator('iframe.message-frame').evaluate((iframe: HTMLIFrameElement) => ({ frame: iframe.clientHeight, content: iframe.contentDocument!.documentElement.scrollHeight }));
    assert.ok(heights.frame >= heights.content, `the frame is as tall as its content (${heights.frame} ≥ ${heights.content})`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width, `no horizontal scrolling (${width} px)`);

    await frame.locator('#disguised').click();
    const check = page.getByTestId('link-check');
    assert.equal(await page.getByTestId('link-target').textContent(), 'https://offers.example.net/claim?id=7');
    assert.match((await check.textContent()) ?? '', /bank\.example\.org\/login/);
    assert.equal(opened.length, 0, 'nothing opens before the reader chooses');
    await page.screenshot({ path: screenshotPath(`html-mail-link-check-${size}`), fullPage: true });
    const [tab] = await Promise.all([context.waitForEvent('page'), check.getByRole('button', { name: 'Open link' }).click()]);
    await tab.waitForLoadState();
    assert.equal(tab.url(), 'https://offers.example.net/claim?id=7');
    assert.equal(await tab.evaluate(() => window.opener), null, 'no opener');
    assert.equal(opened[0]?.referer, undefined, 'no referrer');
    await tab.close();

    const [direct] = await Promise.all([context.waitForEvent('page'), frame.locator('#plain').click()]);
    await direct.waitForLoadState();
    assert.equal(direct.url(), 'https://docs.example.net/guide', 'a link whose text is its target opens at once');
    await frame.locator('#headline').waitFor();
    assert.equal(await frame.locator('#headline').textContent(), 'Offers', 'the message is still shown, no error page');
    assert.ok(!requests.some((url) => url.includes('127.0.0.1:9')), 'nothing remote was fetched for the styles');
    await frame.locator('#mail').click();
    await page.getByRole('heading', { name: 'New message' }).waitFor();
    await page.locator('.chip[data-address="sales@example.net"]').waitFor();
    await context.close();
  });
}
