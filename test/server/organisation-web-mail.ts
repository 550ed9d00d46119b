/**
 * The organisation's web mail for the browser tests: Dovecot and Postfix for the users, `cachet
 * server` over HTTPS in this process (IMAP sign-in, SMTP submission, a key-encryption key, the test
 * PKI's CA trusted), and `provision()`, which signs a user in once (their home and vault key) and then
 * imports their PKCS#12 as the administrator would.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { P12_PASSWORD, pkiFile } from '../helpers/pki.js';
import { runCachet } from '../helpers/cli.js';
import { webUiAssets } from '../../src/front-ends/web/node-adapter.js';
import { FileWrappedSecretStore, readKeyEncryptionKey, UserKeyCustody } from '../../src/front-ends/server/user-keys.js';
import { httpsRequest, makeTestCa, organisationMailYaml, startInProcess, type InProcessServer, type TestCa } from './support.js';

export interface OrganisationWebMail {
  mail: MailServers;
  dir: string;
  ca: TestCa;
  web: InProcessServer;
  /** The server's state directory (the users' homes under it). */
  state: string;
  /** First sign-in of `name@example.com` (password `name`), then `cert import` of `name.p12` for both roles. */
  provision(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** @param signInYaml extra lines of the `signIn:` section (indented two spaces), e.g. "  freeAttempts: 2\n" */
export async function startOrganisationWebMail(users: string[], { signInYaml = '' }: { signInYaml?: string } = {}): Promise<OrganisationWebMail> {
  const mail = await startMailServers(users);
  const dir = mkdtempSync(join(tmpdir(), 'cachet-organisation-web-mail-'));
  const state = join(dir, 'state');
  const ca = makeTestCa(join(dir, 'tls'));
  const [cert, key] = ca.issue('cachet.example.com');
  assert.equal((await runCachet(['server', '--init-key', join(dir, 'kek')])).status, 0);
  writeFileSync(join(dir, 'p12-password'), `${P12_PASSWORD}\n`);
  mkdirSync(join(state, 'trust'), { recursive: true });
  copyFileSync(pkiFile('ca.pem'), join(state, 'trust', 'test-ca.pem'));
  const web = await startInProcess(
    dir,
    `listen:\n  host: 127.0.0.1\n  port: 0\ntls:\n  certificate: ${cert}\n  key: ${key}\nsignIn:\n  method: imap\n${signInYaml}${organisationMailYaml(mail)}state:\n  directory: ${state}\nkeys:\n  keyEncryptionKeyFile: ${join(dir, 'kek')}\n`,
    { staticAssets: webUiAssets() },
  );
  return {
    mail,
    dir,
    ca,
    web,
    state,
    async provision(name) {
      const address = `${name}@example.com`;
      const first = await httpsRequest(`${web.server.url}/api/login`, ca.ca, { method: 'POST', headers: { 'content-type': 'application/json', origin: web.server.url }, body: JSON.stringify({ user: address, password: name }) });
      assert.equal(first.status, 200, first.body);
      const custody = new UserKeyCustody(await readKeyEncryptionKey(join(dir, 'kek')), new FileWrappedSecretStore(join(state, 'server', 'keys')));
      writeFileSync(join(dir, `${name}-vault`), `${await custody.vaultPassphrase(address)}\n`, { mode: 0o600 });
      const imported = await runCachet(['cert', 'import', pkiFile(`${name}.p12`), '--role', 'both', '--password-file', join(dir, 'p12-password'), '--passphrase-file', join(dir, `${name}-vault`), '--as', address], { env: { CACHET_HOME: state } });
      assert.equal(imported.status, 0, imported.stderr);
    },
    async stop() {
      await web.server.shutdown();
      mail.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
