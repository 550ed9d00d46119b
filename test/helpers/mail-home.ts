/**
 * A Cachet home for mail-client tests: the test root trusted by the organisation, an optional admin
 * policy, and mail users — each optionally with a credential imported from the test PKI into their vault.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from './cli.js';
import { P12_PASSWORD, pkiFile } from './pki.js';

export interface MailUserSpec {
  address: string;
  /** A test PKI identity whose .p12 is imported into the user's vault with `role`. */
  p12?: string;
  role?: 'signing' | 'encryption' | 'both';
}

export interface MailHome {
  home: string;
  /** CACHET_HOME, the vault passphrase and the PKCS#12 password for runCachet. */
  env: NodeJS.ProcessEnv;
  userDir(address: string): string;
  writePolicy(yaml: string): void;
  remove(): void;
}

export async function createMailHome(options: { prefix: string; policy?: string; users: MailUserSpec[] }): Promise<MailHome> {
  const home = mkdtempSync(join(tmpdir(), options.prefix));
  const userDir = (address: string): string => join(home, 'users', address);
  const writePolicy = (yaml: string): void => writeFileSync(join(home, 'policy.yaml'), yaml);
  mkdirSync(join(home, 'trust'));
  copyFileSync(pkiFile('ca.pem'), join(home, 'trust', 'root.pem'));
  if (options.policy !== undefined) writePolicy(options.policy);
  const env: NodeJS.ProcessEnv = { CACHET_HOME: home, CACHET_VAULT_PASSPHRASE: 'vault passphrase', CACHET_PASSWORD: P12_PASSWORD };
  for (const user of options.users) {
    assert.equal((await runCachet(['account', 'add', user.address], { env })).status, 0);
    if (user.p12) {
      const imported = await runCachet(['cert', 'import', pkiFile(`${user.p12}.p12`), ...(user.role ? ['--role', user.role] : [])], { env: { ...env, CACHET_HOME: userDir(user.address) } });
      assert.equal(imported.status, 0, imported.stderr);
    }
  }
  return { home, env, userDir, writePolicy, remove: () => rmSync(home, { recursive: true, force: true }) };
}
