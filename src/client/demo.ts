/**
 * `cachet demo`: the reference flow, end to end, on embedded defaults — a temporary Cachet home, a
 * CA of Cachet's own, local Maildir delivery, no server and no prompt. It prints each step and
 * succeeds only if bob finally reads alice's mail as decrypted, signed, valid and trusted.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, randomBytes } from 'node:crypto';
import PostalMime from 'postal-mime';
import { CaStore } from '../ca/ca-store.js';
import { setUpCa } from '../ca/setup.js';
import { issueCertificate } from '../ca/issue.js';
import { generateKeyPairOf } from '../ca/key-pair.js';
import { TEMPLATES } from '../ca/templates.js';
import { exportPfx } from '../ca/export.js';
import { buildDistributionMail, deliverToMaildir } from '../ca/distribution-mail.js';
import { readPfx } from '../engine/pkcs12/pfx-read.js';
import { certificateRole } from '../engine/pki/certificate-role.js';
import { createCertificateValidator } from '../engine/pki/create-validator.js';
import { signMessage } from '../engine/smime/sign.js';
import { encryptMessage } from '../engine/smime/encrypt.js';
import { openMessage } from '../engine/smime/open.js';
import { softwareKey } from '../engine/software-key.js';
import { collectBytes, toByteStream } from '../engine/stream-types.js';
import { certificateSubject } from '../engine/cms/cert-id.js';
import type { Decryptor, Signer } from '../engine/keys.js';

interface Credential {
  role: 'signing' | 'encryption';
  certificate: Uint8Array;
  chain: Uint8Array[];
  privateKeyPkcs8: Uint8Array;
}

export interface DemoResult {
  status: string;
  encrypted: boolean;
}

const DOMAIN = 'example.org';


export async function runDemo(say: (line: string) => void): Promise<DemoResult> {
  const home = await mkdtemp(join(tmpdir(), 'cachet-demo-'));
  try {
    say(`Cachet demo — a temporary Cachet home in ${home}; no server, no network.\n`);
    const passphrase = randomBytes(12).toString('base64url');
    const store = new CaStore(join(home, 'ca'));
    const settings = await setUpCa(store, { name: 'Example Org S/MIME CA', intermediate: true, keyType: 'ec-p256', httpBase: 'http://127.0.0.1:8080', passphrase });
    const issuer = await store.issuer(passphrase);
    const root = await store.caCertificate('root');
    const chain = [issuer.certificate, root];
    say(`1. The CA "${settings.name}" is set up: a root and an issuing CA.`);

    const pfxPassword = randomBytes(9).toString('base64url');
    const mailboxes: Record<string, string> = {};
    const distributionMail: Record<string, string> = {};
    for (const user of ['alice', 'bob']) {
      const email = `${user}@${DOMAIN}`;
      const files = [];
      for (const template of [TEMPLATES['signing-only'], TEMPLATES['encryption-only']]) {
        const key = await generateKeyPairOf('rsa-2048');
        const { certificate, entry } = await issueCertificate(store, issuer, { template, spki: key.spki, email });
        const pfx = await exportPfx({ template, privateKeyPkcs8: key.privateKey.export({ format: 'der', type: 'pkcs8' }), certificate, chain, password: pfxPassword, friendlyName: `${email} (${template.role})` });
        files.push({ role: template.role, filename: `${user}-${template.role === 'signing' ? 'sign' : 'enc'}.pfx`, content: pfx });
        say(`2. Issued ${email} ${template.role === 'signing' ? 'a signing-only' : 'an encryption-only'} certificate (serial ${entry.serial}).`);
      }
      mailboxes[user] = join(home, 'mail', user, 'INBOX');
      const mail = await buildDistributionMail({ from: `pki@${DOMAIN}`, to: email, name: user, files });
      distributionMail[user] = await deliverToMaildir(mailboxes[user], mail);
      say(`3. Mailed ${files.map((f) => f.filename).join(' and ')} to ${email}; the password travels separately.`);
    }

    const wallets: Record<string, Credential[]> = {};
    for (const user of ['alice', 'bob']) {
      const mail = await PostalMime.parse(await readFile(distributionMail[user]!));
      wallets[user] = [];
      for (const attachment of mail.attachments.filter((a) => /\.(pfx|p12)$/i.test(a.filename ?? ''))) {
        const bytes = typeof attachment.content === 'string' ? Buffer.from(attachment.content, 'base64') : new Uint8Array(attachment.content);
        const [credential] = (await readPfx(bytes, pfxPassword)).credentials;
        if (!credential) throw new Error(`${attachment.filename} holds no key`);
        const { role } = certificateRole(credential.certificate);
        if (role !== 'signing' && role !== 'encryption') throw new Error(`${attachment.filename} is not single-purpose (${role})`);
        wallets[user]!.push({ role, certificate: credential.certificate, chain: credential.chain, privateKeyPkcs8: credential.privateKeyPkcs8 });
        say(`4. ${user} opened the mail and imported ${attachment.filename}: recognised as ${role === 'signing' ? 'a signing-only' : 'an encryption-only'} certificate, imported automatically.`);
      }
    }

    const credential = (user: string, role: Credential['role']) => wallets[user]!.find((c) => c.role === role)!;
    const aliceSign = credential('alice', 'signing');
    const signer: Signer = {
      certificate: aliceSign.certificate,
      chain: aliceSign.chain,
      key: softwareKey(createPrivateKey({ key: Buffer.from(aliceSign.privateKeyPkcs8), format: 'der', type: 'pkcs8' })),
      encryptionCertificate: credential('alice', 'encryption').certificate,
    };
    const message = [
      `From: Alice <alice@${DOMAIN}>`,
      `To: Bob <bob@${DOMAIN}>`,
      'Subject: Quarterly figures',
      `Date: ${new Date().toUTCString()}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello Bob,',
      '',
      'the figures are final. Only you can read this, and you can check it is from me.',
      '',
      'Alice',
      '',
    ].join('\r\n');
    const signed = signMessage(toByteStream(message), { signers: [signer], mode: 'detached' });
    const sealed = await collectBytes(
      encryptMessage(signed, { recipients: [{ certificate: credential('bob', 'encryption').certificate }, { certificate: credential('alice', 'encryption').certificate }], cipher: 'aes-256-gcm' }),
    );
    const delivered = await deliverToMaildir(mailboxes['bob']!, sealed);
    say(`5. alice sent bob a mail signed with her signing key and encrypted (AES-256-GCM) to bob and herself.`);

    const bobEncryption = credential('bob', 'encryption');
    const decryptors: Decryptor[] = [{ certificate: bobEncryption.certificate, key: softwareKey(createPrivateKey({ key: Buffer.from(bobEncryption.privateKeyPkcs8), format: 'der', type: 'pkcs8' })) }];
    const validator = createCertificateValidator({ trustAnchors: [root] });
    const opened = await openMessage(toByteStream(await readFile(delivered)), { decryptors, validator });
    try {
      const { report } = opened;
      const signerLine = report.signers.map((s) => `${s.email[0] ?? s.subject} (${s.valid ? 'signature valid' : 'signature INVALID'}, ${s.trusted ? 'trusted' : 'not trusted'})`).join(', ');
      const text = ((await PostalMime.parse(await collectBytes(opened.content))).text ?? '').trim();
      const envelope = report.layers.find((l) => l.kind === 'encrypted');
      const cipher = envelope?.kind === 'encrypted' ? envelope.contentEncryption.toUpperCase() : '';
      say(`6. bob read it: status ${report.status.toUpperCase()}, ${report.encrypted ? `encrypted (${cipher})` : 'NOT encrypted'}, signed by ${signerLine}.`);
      say(`   Signer certificate: ${certificateSubject(aliceSign.certificate)}`);
      say(`   ─── the message ───\n   ${text.replace(/\n/g, '\n   ')}`);
      return { status: report.status, encrypted: report.encrypted };
    } finally {
      await opened.dispose();
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
