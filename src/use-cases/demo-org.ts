/**
 * A demo organisation in a Cachet home, as an administrator would set one up: a CA (root and issuing
 * CA) whose root every user trusts, users with their mailboxes and web passwords, and for each user a
 * distribution mail carrying a signing-only and an encryption-only PKCS#12 file — not yet imported:
 * importing them is the user's first step ("enable S/MIME on first launch" then asks for it).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CaStore, pemEncode } from '../adapters/ca/ca-store.js';
import { setUpCa } from '../adapters/ca/setup.js';
import { issueCertificate } from '../adapters/ca/issue.js';
import { generateKeyPairOf } from '../adapters/ca/key-pair.js';
import { TEMPLATES } from '../adapters/ca/templates.js';
import { exportPfx } from '../adapters/ca/export.js';
import { buildDistributionMail } from '../adapters/ca/distribution-mail.js';
import { addUser, setLoginPassword, type LocalUser } from './users.js';

export interface DemoUser {
  user: LocalUser;
  /** Web sign-in password; also the passphrase of the user's credential vault. */
  password: string;
  /** Password of the mailed PKCS#12 files (in real life: sent through another channel). */
  pfxPassword: string;
  /** Id of the distribution mail in the user's INBOX. */
  distributionMailId: string;
}

export interface DemoOrganisation {
  home: string;
  domain: string;
  root: Uint8Array;
  /** The issuing CA's certificate (delivered to users beside the root). */
  issuing: Uint8Array;
  users: DemoUser[];
}

export async function createDemoOrganisation(home: string, options: { domain?: string; names?: string[]; passwords?: Record<string, string> } = {}): Promise<DemoOrganisation> {
  const domain = options.domain ?? 'example.org';
  const caPassphrase = randomBytes(12).toString('base64url');
  const store = new CaStore(join(home, 'ca'));
  await setUpCa(store, { name: 'Example Org S/MIME CA', intermediate: true, keyType: 'ec-p256', httpBase: 'http://127.0.0.1:8080', passphrase: caPassphrase });
  const issuer = await store.issuer(caPassphrase);
  const root = await store.caCertificate('root');
  await mkdir(join(home, 'trust'), { recursive: true, mode: 0o700 });
  await writeFile(join(home, 'trust', 'example-org-root.pem'), pemEncode(root, 'CERTIFICATE'));
  // The administrator delivers the issuing CA too, so chains build for certificates harvested alone.
  await writeFile(join(home, 'trust', 'example-org-issuing.pem'), pemEncode(issuer.certificate, 'CERTIFICATE'));
  const users: DemoUser[] = [];
  for (const name of options.names ?? ['alice', 'bob']) {
    const address = `${name}@${domain}`;
    const user = await addUser(home, address, name[0]!.toUpperCase() + name.slice(1));
    const password = options.passwords?.[name] ?? randomBytes(9).toString('base64url');
    await setLoginPassword(user, password);
    const pfxPassword = randomBytes(9).toString('base64url');
    const files = [];
    for (const template of [TEMPLATES['signing-only'], TEMPLATES['encryption-only']]) {
      const key = await generateKeyPairOf('rsa-2048');
      const { certificate } = await issueCertificate(store, issuer, { template, spki: key.spki, email: address });
      const pfx = await exportPfx({
        template,
        privateKeyPkcs8: key.privateKey.export({ format: 'der', type: 'pkcs8' }),
        certificate,
        chain: [issuer.certificate, root],
        password: pfxPassword,
        friendlyName: `${address} (${template.role})`,
      });
      files.push({ role: template.role, filename: `${name}-${template.role === 'signing' ? 'sign' : 'enc'}.pfx`, content: pfx });
    }
    const mail = await buildDistributionMail({ from: `pki@${domain}`, to: address, name: user.name, files });
    const distributionMailId = await user.mailbox.deliver('INBOX', mail);
    users.push({ user, password, pfxPassword, distributionMailId });
  }
  return { home, domain, root, issuing: issuer.certificate, users };
}
