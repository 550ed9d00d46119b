/**
 * The browser tests' common start: a demo organisation (alice and bob) in a temporary home, the web
 * client served on a free 127.0.0.1 port, and Debian's Chromium — and one close() for all three.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { signedInPage, type SignInOptions } from './web-client-page.js';
import { pkiFile } from './pki.js';
import { createDemoOrganisation, type DemoOrganisation, type DemoUser } from '../../src/use-cases/demo-org.js';
import { importFromMail, type ImportResult } from '../../src/use-cases/import-from-mail.js';
import { openFileCredentialStore, type FileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { VAULT_FILE_NAME } from '../../src/adapters/keys/open-store.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';
import { startWebServer, type RunningWebServer } from '../../src/front-ends/web/node-adapter.js';

export interface DemoWebClient {
  home: string;
  org: DemoOrganisation;
  server: RunningWebServer;
  browser: Browser;
  /**
   * A new browser context signed in as `name@<demo domain>` with the demo password (or `password`),
   * on the Inbox, drawn; at this server, or at `url` (another server on the same home).
   */
  signIn(name: string, options?: SignInOptions & { password?: string; url?: string }): Promise<Page>;
  close(): Promise<void>;
}

/** A demo user's vault, opened as the web client opens it (with their sign-in password); made if missing. */
export function demoVault(user: DemoUser): Promise<FileCredentialStore> {
  return openFileCredentialStore(join(user.user.dir, VAULT_FILE_NAME), user.password, { createIfMissing: true });
}

/** A demo user's certificates imported from the administrator's mail into their vault, as the web client's Import does. */
export async function importDemoCertificates(user: DemoUser): Promise<{ store: FileCredentialStore; results: ImportResult[] }> {
  const store = await demoVault(user);
  const results = await importFromMail(user.user, 'INBOX', user.distributionMailId, store, { password: async () => user.pfxPassword });
  return { store, results };
}

export async function startDemoWebClient(options: {
  /** Names the temporary home, so a leftover one says which test made it. */
  prefix: string;
  /** Also trust the test PKI's root, for mail signed with the test PKI's certificates. */
  trustTestPki?: boolean;
  uploadBytes?: number;
}): Promise<DemoWebClient> {
  const home = mkdtempSync(join(tmpdir(), options.prefix));
  const org = await createDemoOrganisation(home, { passwords: { alice: 'alice-password', bob: 'bob-password' } });
  if (options.trustTestPki) copyFileSync(pkiFile('ca.pem'), join(home, 'trust', 'test-pki-root.pem'));
  const server = await startWebServer({ service: new ClientMailService(home), port: 0, ...(options.uploadBytes === undefined ? {} : { uploadBytes: options.uploadBytes }) });
  const browser = await launchBrowser();
  return {
    home,
    org,
    server,
    browser,
    signIn(name, { password = `${name}-password`, url = server.url, ...page } = {}) {
      return signedInPage(browser, url, `${name}@${org.domain}`, password, page);
    },
    async close() {
      await browser.close();
      await server.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
