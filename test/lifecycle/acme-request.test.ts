/**
 * Issue 17, ACME for S/MIME through the CLI: `cachet ca acme` runs as a process and mails its
 * challenge into the local Maildir of alice; `cachet cert request --acme` finds it there, replies
 * through her account's transport (local delivery into the CA's mailbox) signed with her current
 * signing certificate, finalizes, and installs the encryption certificate in her vault with its role.
 * OpenSSL verifies the certificate against the CA. Bob, who holds no signing certificate, sends his
 * reply unsigned; nothing DKIM-signs local delivery, so the server refuses it and he is told why.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addUser, findUser } from '../../src/use-cases/users.js';
import { cachet, caWorkspace, openssl, startCachet, type CaWorkspace } from '../ca/support.js';
import { runCachet } from '../helpers/cli.js';
import { createSoftHsm, type SoftHsm } from '../helpers/softhsm.js';
import { execFileSync } from 'node:child_process';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CA_FROM = 'acme@example.com';
let ws: CaWorkspace;
let env: NodeJS.ProcessEnv;
let server: Awaited<ReturnType<typeof startCachet>> | undefined;
let directoryUrl: string;
let hsm: SoftHsm | undefined;
const userEnv = (): NodeJS.ProcessEnv => ({ ...env, CACHET_VAULT_PASSPHRASE: 'user vault passphrase', CACHET_PASSWORD: 'pfx-password-1' });

before(async () => {
  ws = caWorkspace('cachet-acme-cli-');
  env = { ...ws.env, CACHET_CA_PASSPHRASE: 'correct horse battery' };
  assert.equal((await cachet(['ca', 'init', '--key', 'ec-p256', '--passphrase-file', ws.passphraseFile], env)).status, 0);
  for (const user of [ALICE, BOB, CA_FROM]) await addUser(env.CACHET_HOME!, user);
  // The users trust the CA: the client then answers only a challenge mail the CA signed.
  mkdirSync(join(env.CACHET_HOME!, 'trust'), { recursive: true });
  copyFileSync(join(env.CACHET_HOME!, 'ca', 'root.pem'), join(env.CACHET_HOME!, 'trust', 'root.pem'));
  const issued = await cachet(['ca', 'issue', '--template', 'signing-only', '--email', ALICE, '--key', 'ec-p256', '--out', ws.path('alice-sign.p12'), '--password-file', ws.passwordFile, '--passphrase-file', ws.passphraseFile], env);
  assert.equal(issued.status, 0, issued.stderr);
  const imported = await runCachet(['cert', 'import', ws.path('alice-sign.p12'), '--as', ALICE], { env: userEnv() });
  assert.equal(imported.status, 0, imported.stderr);
  server = await startCachet(['ca', 'acme', '--port', '0', '--from', CA_FROM, '--local', '--template', 'encryption-only'], env, /ACME server listening/);
  directoryUrl = /directory (http:\S+);/.exec(server.output())![1]!;
});
after(async () => {
  await server?.stop();
  ws?.remove();
  hsm?.remove();
});

describe('cachet cert request --acme', () => {
  test('alice gets an encryption certificate: challenge from her Maildir, signed reply, installed with its role', async () => {
    const r = await runCachet(['cert', 'request', '--acme', directoryUrl, '--as', ALICE, '--json', '--timeout', '60'], { env: userEnv() });
    assert.equal(r.status, 0, r.stderr + server!.output());
    const result = JSON.parse(r.stdout) as { serial: string; role: string; subject: string };
    assert.equal(result.role, 'encryption');
    const listed = await runCachet(['cert', 'list', '--as', ALICE, '--json'], { env: userEnv() });
    const credentials = JSON.parse(listed.stdout).credentials as Array<{ id: string; role: string; active: boolean }>;
    assert.deepEqual(credentials.filter((c) => c.active).map((c) => c.role).sort(), ['encryption', 'signing']);
    // The CA's records: issued to alice from the encryption-only template, delivered by ACME.
    const records = JSON.parse((await cachet(['ca', 'list', '--email', ALICE, '--json'], env)).stdout) as { certificates: Array<{ serial: string; template: string }> };
    const record = records.certificates.find((c) => c.template === 'encryption-only');
    assert.ok(record, JSON.stringify(records));
    assert.equal(record.serial.replace(/^0+/, ''), result.serial.replace(/^0+/, ''));
    // OpenSSL: the certificate the vault holds verifies against the CA for S/MIME encryption.
    const exported = await runCachet(['cert', 'export', credentials.find((c) => c.active && c.role === 'encryption')!.id, '--as', ALICE, '--out', ws.path('alice-enc.p12'), '--password-file', ws.passwordFile], { env: userEnv() });
    assert.equal(exported.status, 0, exported.stderr);
    const pem = openssl(['pkcs12', '-in', ws.path('alice-enc.p12'), '-passin', `file:${ws.passwordFile}`, '-nokeys', '-clcerts']);
    writeFileSync(ws.path('alice-enc.pem'), pem.stdout);
    const verified = openssl(['verify', '-CAfile', `${env.CACHET_HOME}/ca/root.pem`, '-purpose', 'smimeencrypt', ws.path('alice-enc.pem')]);
    assert.equal(verified.status, 0, verified.stderr);
  });

  test('bob holds no signing certificate and no mail server DKIM-signs his reply: refused, he is told why', async () => {
    const r = await runCachet(['cert', 'request', '--acme', directoryUrl, '--as', BOB, '--timeout', '60'], { env: userEnv() });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no signing certificate for bob@example.com: the reply goes unsigned, and counts only if your mail server DKIM-signs it/);
    assert.match(r.stderr, /did not accept the reply: the reply from bob@example.com is not S\/MIME-signed .* and not DKIM-authenticated: it carries no DKIM signature/);
    const inbox = await runCachet(['inbox', '--as', BOB], { env: userEnv() });
    assert.match(inbox.stdout, /ACME: /, 'the challenge did reach his mailbox');
    const box = (await findUser(env.CACHET_HOME!, BOB))!.maildir;
    const challenge = (await box.read('INBOX', (await box.list('INBOX')).at(-1)!.id)).toString('latin1');
    assert.match(challenge, /^Content-Type: multipart\/signed;[\s\S]*protocol="application\/pkcs7-signature"/im, 'the CA signed the challenge (RFC 8823 §3.1)');
    assert.match(challenge, /^Auto-Submitted: auto-generated; type=acme\r$/m);
  });

  test('--token-label: the key pair is made ON alice\'s token, the token signs the request, the certificate goes back onto it', async () => {
    hsm = createSoftHsm([], 'alice-card', '2468');
    writeFileSync(ws.path('card-pin'), `${hsm.pin}\n`);
    const tokenEnv = { ...userEnv(), SOFTHSM2_CONF: process.env.SOFTHSM2_CONF };
    const vaultBefore = JSON.parse((await runCachet(['cert', 'list', '--as', ALICE, '--json'], { env: tokenEnv })).stdout).credentials.length as number;
    const r = await runCachet(['cert', 'request', '--acme', directoryUrl, '--as', ALICE, '--token-label', 'alice-card', '--pkcs11-module', hsm.module, '--user-pin-file', ws.path('card-pin'), '--json', '--timeout', '60'], { env: tokenEnv });
    assert.equal(r.status, 0, r.stderr + server!.output());
    const result = JSON.parse(r.stdout) as { serial: string; role: string; token: string; id: string };
    assert.equal(result.role, 'encryption');
    assert.equal(result.token, 'alice-card');
    const objects = execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', 'alice-card', '--login', '--pin', hsm.pin, '--list-objects'], { encoding: 'utf8', env: tokenEnv });
    const privateKey = new RegExp(`Private Key Object[^\\n]*\\n(?:\\s+.*\\n)*?\\s+ID:\\s+${result.id}\\n(?:\\s+.*\\n)*?\\s+Access:\\s+([^\\n]*)`).exec(objects);
    assert.ok(privateKey, objects);
    assert.match(privateKey[1]!, /sensitive/);
    assert.match(privateKey[1]!, /never extractable/);
    assert.match(privateKey[1]!, /local/, 'generated on the token, not imported');
    const der = ws.path('card-cert.der');
    execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', 'alice-card', '--read-object', '--type', 'cert', '--id', result.id, '-o', der], { env: tokenEnv });
    assert.equal(openssl(['x509', '-inform', 'DER', '-in', der, '-noout', '-serial']).stdout.trim().toLowerCase().replace(/^serial=0*/, ''), result.serial.replace(/^0+/, ''));
    openssl(['x509', '-inform', 'DER', '-in', der, '-out', ws.path('card-cert.pem')]);
    assert.equal(openssl(['verify', '-CAfile', `${env.CACHET_HOME}/ca/root.pem`, '-purpose', 'smimeencrypt', ws.path('card-cert.pem')]).status, 0);
    // Nothing went into the vault: the key is on the card only.
    const vaultAfter = JSON.parse((await runCachet(['cert', 'list', '--as', ALICE, '--json'], { env: tokenEnv })).stdout).credentials.length as number;
    assert.equal(vaultAfter, vaultBefore);
  });
});
