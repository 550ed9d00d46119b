/**
 * Issue 17, ACME state that outlives the server: accounts, orders and a pending challenge are kept
 * under the CA directory (ca/acme/). npm's acme-client opens an account and orders; the server
 * stops and starts again (same CA, same port) before the challenge is answered, and again before
 * finalize; the same client then finishes the order and gets a certificate OpenSSL verifies.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import acme from 'acme-client';
import { startAcmeServer, type AcmeServerOptions, type RunningAcmeServer } from '../../src/adapters/ca/acme-server.js';
import { keyAuthorization, responseDigest, responseText, tokenPart1OfSubject } from '../../src/adapters/ca/acme-email-challenge.js';
import { jwkThumbprint, publicJwkOf } from '../../src/adapters/ca/acme-jws.js';
import { CaStore, pemEncode, type CaKeyPair } from '../../src/adapters/ca/ca-store.js';
import { issueCertificate } from '../../src/adapters/ca/issue.js';
import { generateKeyPairOf } from '../../src/adapters/ca/key-pair.js';
import { setUpCa } from '../../src/adapters/ca/setup.js';
import { getTemplate } from '../../src/adapters/ca/templates.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';
import { signMessage } from '../../src/engine/smime/sign.js';
import { softwareKey } from '../../src/engine/software-key.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { runToolOk } from '../helpers/oracles.js';

const PASSPHRASE = 'acme restart passphrase';
const CA_FROM = 'acme@example.com';
const ALICE = 'alice@example.com';
let dir: string;
let store: CaStore;
let issuer: CaKeyPair;
let server: RunningAcmeServer | undefined;
let serverOptions: AcmeServerOptions;
const box = (address: string) => new Maildir(join(dir, 'mail', address));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-acme-restart-'));
  store = new CaStore(join(dir, 'ca'));
  await setUpCa(store, { name: 'ACME Restart CA', intermediate: false, keyType: 'ec-p256', httpBase: 'http://127.0.0.1:1', passphrase: PASSPHRASE });
  issuer = await store.issuer(PASSPHRASE);
  for (const address of [ALICE, CA_FROM]) await box(address).ensure('INBOX');
  const root = (await store.chain()).at(-1)!;
  serverOptions = {
    store,
    issuer,
    template: getTemplate('encryption-only'),
    validator: createCertificateValidator({ trustAnchors: [root], revocation: 'off' }),
    port: 0,
    mail: {
      from: CA_FROM,
      send: async (to, message) => void (await box(to).deliver('INBOX', message)),
      replies: async () => Promise.all((await box(CA_FROM).list('INBOX')).map((m) => box(CA_FROM).read('INBOX', m.id))),
    },
  };
  server = await startAcmeServer(serverOptions);
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Stops the server and starts a new one on the same port over the same CA: nothing in memory survives. */
async function restart(): Promise<void> {
  const port = Number(new URL(server!.url).port);
  await server!.close();
  server = undefined;
  server = await startAcmeServer({ ...serverOptions, port });
}

describe('ACME state kept across restarts of the server', () => {
  test('account and order survive a restart before the reply, and another before finalize', async () => {
    const accountKey = await acme.crypto.createPrivateEcdsaKey('P-256');
    const client = new acme.Client({ directoryUrl: server!.directoryUrl, accountKey });
    await client.createAccount({ termsOfServiceAgreed: true });
    const order = await client.createOrder({ identifiers: [{ type: 'email', value: ALICE }] } as Parameters<acme.Client['createOrder']>[0]);

    await restart();
    // The order is the one placed before the restart, still pending, with its challenge.
    const [authz] = await client.getAuthorizations(order);
    const challenge = authz!.challenges[0] as unknown as Parameters<acme.Client['completeChallenge']>[0] & { token: string };
    assert.equal(authz!.status, 'pending');
    // Alice answers the challenge mail, S/MIME-signed with a certificate she holds.
    const pair = await generateKeyPairOf('ec-p256');
    const { certificate } = await issueCertificate(store, issuer, { template: getTemplate('signing-only'), spki: pair.spki, email: ALICE });
    const mail = (await box(ALICE).read('INBOX', (await box(ALICE).list('INBOX')).at(-1)!.id)).toString('latin1');
    const tokenPart1 = tokenPart1OfSubject(/^Subject: (.*)$/m.exec(mail)?.[1])!;
    const thumbprint = jwkThumbprint(publicJwkOf(createPublicKey(accountKey)));
    const text = `From: ${ALICE}\r\nTo: ${CA_FROM}\r\nSubject: Re: ACME: ${tokenPart1}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n${responseText(responseDigest(keyAuthorization(tokenPart1, challenge.token, thumbprint)))}`;
    await box(CA_FROM).deliver('INBOX', await collectBytes(signMessage(toByteStream(text), { mode: 'detached', signers: [{ certificate, key: softwareKey(pair.privateKey) }] })));
    await client.completeChallenge(challenge);
    await client.waitForValidStatus(challenge);

    await restart();
    const [, csr] = await acme.crypto.createCsr({ emailAddress: ALICE, keySize: 2048 });
    const finalized = await client.finalizeOrder(order, csr);
    assert.equal(finalized.status, 'valid');
    await restart();
    const chain = await client.getCertificate(finalized);
    writeFileSync(join(dir, 'leaf.pem'), chain);
    writeFileSync(join(dir, 'root.pem'), pemEncode((await store.chain()).at(-1)!, 'CERTIFICATE'));
    assert.match(runToolOk('openssl', ['verify', '-CAfile', join(dir, 'root.pem'), '-purpose', 'smimeencrypt', join(dir, 'leaf.pem')]).toString(), /: OK/);

    // What was kept: one account with its order, owner-only files under the CA directory.
    const accounts = readdirSync(join(dir, 'ca', 'acme', 'accounts'));
    assert.equal(accounts.length, 1);
    const orders = readdirSync(join(dir, 'ca', 'acme', 'accounts', accounts[0]!, 'orders'));
    assert.equal(orders.length, 1);
    assert.equal(statSync(join(dir, 'ca', 'acme', 'accounts', accounts[0]!, 'orders', orders[0]!)).mode & 0o777, 0o600);
  });

  test('an order of another account stays out of reach (a URL naming it is refused)', async () => {
    const owner = new acme.Client({ directoryUrl: server!.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey('P-256') });
    await owner.createAccount({ termsOfServiceAgreed: true });
    const order = await owner.createOrder({ identifiers: [{ type: 'email', value: ALICE }] } as Parameters<acme.Client['createOrder']>[0]);
    const stranger = new acme.Client({ directoryUrl: server!.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey('P-256') });
    await stranger.createAccount({ termsOfServiceAgreed: true });
    await assert.rejects(stranger.getOrder(order), /no such order for this account/);
    await assert.rejects(stranger.getAuthorizations(order), /no such order for this account/);
  });
});
