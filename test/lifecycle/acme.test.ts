/**
 * Issue 17, ACME for S/MIME: npm's acme-client (an independent RFC 8555 client) drives Cachet's ACME
 * server through account, order for an `email` identifier, challenge, finalize and certificate; the
 * RFC 8823 email-reply-00 challenge travels through real Maildirs and is answered by an S/MIME-signed
 * reply (acme-client has no RFC 8823 support: the reply is Cachet's code). OpenSSL checks the
 * certificate against the CA. A wrong digest, a reply from another address, an unsigned reply and
 * a replayed nonce are refused with RFC 8555 problem documents.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign as signData } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import acme from 'acme-client';
import { startAcmeServer, type RunningAcmeServer } from '../../src/adapters/ca/acme-server.js';
import { keyAuthorization, responseDigest, responseText, tokenPart1OfSubject } from '../../src/adapters/ca/acme-email-challenge.js';
import { base64url, jwkThumbprint, publicJwkOf } from '../../src/adapters/ca/acme-jws.js';
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
import { requestCertificateByAcme } from '../../src/use-cases/acme-request.js';
import type { CachetError } from '../../src/errors.js';
import type { CredentialStore } from '../../src/adapters/keys/credential-store.js';
import { runToolOk } from '../helpers/oracles.js';

const PASSPHRASE = 'acme test passphrase';
const CA_FROM = 'acme@example.com';
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
let dir: string;
let store: CaStore;
let issuer: CaKeyPair;
let server: RunningAcmeServer;
const mailboxes = new Map<string, Maildir>();
/** Signing credentials alice and bob already hold (from this CA): what authenticates their replies. */
const signers = new Map<string, { certificate: Uint8Array; key: ReturnType<typeof softwareKey> }>();

function mailbox(address: string): Maildir {
  if (!mailboxes.has(address)) mailboxes.set(address, new Maildir(join(dir, 'mail', address)));
  return mailboxes.get(address)!;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-acme-'));
  store = new CaStore(join(dir, 'ca'));
  await setUpCa(store, { name: 'ACME Test CA', intermediate: false, keyType: 'ec-p256', httpBase: 'http://127.0.0.1:1', passphrase: PASSPHRASE });
  issuer = await store.issuer(PASSPHRASE);
  for (const address of [ALICE, BOB]) {
    const pair = await generateKeyPairOf('ec-p256');
    const { certificate } = await issueCertificate(store, issuer, { template: getTemplate('signing-only'), spki: pair.spki, email: address });
    signers.set(address, { certificate, key: softwareKey(pair.privateKey) });
    await mailbox(address).ensure('INBOX');
  }
  await mailbox(CA_FROM).ensure('INBOX');
  const root = (await store.chain()).at(-1)!;
  server = await startAcmeServer({
    store,
    issuer,
    template: getTemplate('encryption-only'),
    templates: [getTemplate('signing-only')],
    validator: createCertificateValidator({ trustAnchors: [root], revocation: 'off' }),
    port: 0,
    mail: {
      from: CA_FROM,
      send: async (to, message) => void (await mailbox(to).deliver('INBOX', message)),
      replies: async () => Promise.all((await mailbox(CA_FROM).list('INBOX')).map((m) => mailbox(CA_FROM).read('INBOX', m.id))),
    },
  });
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The newest challenge mail in a mailbox: its token-part1 and Message-ID. */
async function challengeMail(address: string): Promise<{ tokenPart1: string; messageId: string; raw: string }> {
  const box = mailbox(address);
  const list = await box.list('INBOX');
  const raw = (await box.read('INBOX', list.at(-1)!.id)).toString('latin1');
  const subject = /^Subject: (.*)$/m.exec(raw)?.[1];
  return { tokenPart1: tokenPart1OfSubject(subject)!, messageId: /^Message-ID: (.*)$/m.exec(raw)![1]!.trim(), raw };
}

/** A reply as a mail client sends it: From the signer, Re: the subject, the response block, S/MIME-signed unless told. */
async function sendReply(options: { from: string; tokenPart1: string; inReplyTo: string; digest: string; sign?: boolean }): Promise<void> {
  const text = [
    `From: ${options.from}`,
    `To: ${CA_FROM}`,
    `Subject: Re: ACME: ${options.tokenPart1}`,
    `In-Reply-To: ${options.inReplyTo}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    '',
  ].join('\r\n') + responseText(options.digest);
  const signer = signers.get(options.from)!;
  const bytes = options.sign === false
    ? Buffer.from(text)
    : await collectBytes(signMessage(toByteStream(text), { mode: 'detached', signers: [{ certificate: signer.certificate, key: signer.key }] }));
  await mailbox(CA_FROM).deliver('INBOX', bytes);
}

function thumbprintOf(accountKeyPem: Buffer): string {
  return jwkThumbprint(publicJwkOf(createPublicKey(accountKeyPem)));
}

/** acme-client types only http-01 and dns-01 challenges; its methods take any challenge object. */
type AcmeChallenge = Parameters<acme.Client['completeChallenge']>[0];
interface EmailReplyChallenge { type: string; url: string; status: string; token: string; from: string }

async function orderFor(client: acme.Client, email: string, profile?: string) {
  const order = await client.createOrder({ identifiers: [{ type: 'email', value: email }], ...(profile ? { profile } : {}) } as Parameters<acme.Client['createOrder']>[0]);
  const [authz] = await client.getAuthorizations(order);
  const found = (authz!.challenges as unknown as EmailReplyChallenge[]).find((c) => c.type === 'email-reply-00');
  assert.ok(found, 'the authorization offers email-reply-00');
  return { order, authz: authz!, challenge: found as unknown as AcmeChallenge & EmailReplyChallenge };
}

describe('ACME for S/MIME (RFC 8555 + RFC 8823), driven by acme-client', () => {
  test('ES256 account: order, emailed challenge, signed reply, finalize, certificate that OpenSSL verifies', async () => {
    const accountKey = await acme.crypto.createPrivateEcdsaKey('P-256');
    const client = new acme.Client({ directoryUrl: server.directoryUrl, accountKey });
    await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${ALICE}`] });
    const { order, challenge } = await orderFor(client, ALICE);
    const mail = await challengeMail(ALICE);
    assert.match(mail.raw, /^Auto-Submitted: auto-generated; type=acme\r$/m);
    assert.match(mail.raw, new RegExp(`^From: ${CA_FROM}\r$`, 'm'));
    assert.equal(challenge.from, CA_FROM);
    const digest = responseDigest(keyAuthorization(mail.tokenPart1, challenge.token, thumbprintOf(accountKey)));
    await sendReply({ from: ALICE, tokenPart1: mail.tokenPart1, inReplyTo: mail.messageId, digest });
    await client.completeChallenge(challenge);
    await client.waitForValidStatus(challenge);

    const [certificateKey, csr] = await acme.crypto.createCsr({ emailAddress: ALICE, keySize: 2048 });
    const finalized = await client.finalizeOrder(order, csr);
    assert.equal(finalized.status, 'valid');
    const chain = await client.getCertificate(finalized);
    const leafPem = chain.slice(0, chain.indexOf('-----END CERTIFICATE-----') + 26);
    writeFileSync(join(dir, 'leaf.pem'), leafPem);
    writeFileSync(join(dir, 'root.pem'), pemEncode((await store.chain()).at(-1)!, 'CERTIFICATE'));
    const text = runToolOk('openssl', ['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-text']).toString();
    assert.match(text, new RegExp(`email:${ALICE}`));
    assert.match(text, /Key Encipherment/, 'the default template (encryption-only) decides the key usage');
    assert.doesNotMatch(text, /Digital Signature/);
    assert.match(runToolOk('openssl', ['verify', '-CAfile', join(dir, 'root.pem'), '-purpose', 'smimeencrypt', join(dir, 'leaf.pem')]).toString(), /: OK/);
    // The certificate certifies the CSR's key.
    const spkiOfCert = runToolOk('openssl', ['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-pubkey']).toString();
    assert.equal(spkiOfCert.trim(), createPublicKey(createPrivateKey(certificateKey)).export({ type: 'spki', format: 'pem' }).toString().trim());

    const entry = (await store.index()).find((e) => e.email === ALICE && e.template === 'encryption-only');
    assert.ok(entry?.delivered?.via.startsWith('ACME'), 'recorded as delivered to its requester');
    const audit = readFileSync(join(dir, 'ca', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; email?: string; who: string; serial?: string });
    assert.ok(audit.some((e) => e.action === 'acme-order' && e.email === ALICE));
    assert.ok(audit.some((e) => e.action === 'issue' && e.serial === entry!.serial && e.who.startsWith('acme account ')));
  });

  test('RS256 account, a profile: the template the order names (signing-only)', async () => {
    const accountKey = await acme.crypto.createPrivateRsaKey(2048);
    const client = new acme.Client({ directoryUrl: server.directoryUrl, accountKey });
    await client.createAccount({ termsOfServiceAgreed: true });
    const { order, challenge } = await orderFor(client, ALICE, 'signing-only');
    const mail = await challengeMail(ALICE);
    await sendReply({ from: ALICE, tokenPart1: mail.tokenPart1, inReplyTo: mail.messageId, digest: responseDigest(keyAuthorization(mail.tokenPart1, challenge.token, thumbprintOf(accountKey))) });
    await client.completeChallenge(challenge);
    await client.waitForValidStatus(challenge);
    const [, csr] = await acme.crypto.createCsr({ emailAddress: ALICE, keySize: 2048 });
    const chain = await client.getCertificate(await client.finalizeOrder(order, csr));
    writeFileSync(join(dir, 'signing.pem'), chain);
    assert.match(runToolOk('openssl', ['x509', '-in', join(dir, 'signing.pem'), '-noout', '-ext', 'keyUsage']).toString(), /Digital Signature, Non Repudiation/);
  });

  async function refusedReply(reply: (mail: { tokenPart1: string; messageId: string }, rightDigest: string) => Promise<void>): Promise<{ type: string; detail: string }> {
    const accountKey = await acme.crypto.createPrivateEcdsaKey('P-256');
    const client = new acme.Client({ directoryUrl: server.directoryUrl, accountKey });
    await client.createAccount({ termsOfServiceAgreed: true });
    const { order, challenge } = await orderFor(client, ALICE);
    const mail = await challengeMail(ALICE);
    await reply(mail, responseDigest(keyAuthorization(mail.tokenPart1, challenge.token, thumbprintOf(accountKey))));
    await client.completeChallenge(challenge);
    await assert.rejects(client.waitForValidStatus(challenge));
    const [authz] = await client.getAuthorizations(order);
    assert.equal(authz!.status, 'invalid');
    const after = authz!.challenges[0] as unknown as { status: string; error: { type: string; detail: string } };
    assert.equal(after.status, 'invalid');
    const [, csr] = await acme.crypto.createCsr({ emailAddress: ALICE, keySize: 2048 });
    await assert.rejects(client.finalizeOrder(order, csr), /order is invalid, not ready/);
    return after.error;
  }

  test('a reply with the wrong digest (another account key) is refused: incorrectResponse', async () => {
    const error = await refusedReply(async (mail) => sendReply({ from: ALICE, tokenPart1: mail.tokenPart1, inReplyTo: mail.messageId, digest: responseDigest(`${mail.tokenPart1}x.y`) }));
    assert.equal(error.type, 'urn:ietf:params:acme:error:incorrectResponse');
    assert.match(error.detail, /digest is not that of this challenge/);
  });

  test('a reply from another address (bob, signed by bob) is refused: unauthorized', async () => {
    const error = await refusedReply(async (mail, digest) => sendReply({ from: BOB, tokenPart1: mail.tokenPart1, inReplyTo: mail.messageId, digest }));
    assert.equal(error.type, 'urn:ietf:params:acme:error:unauthorized');
    assert.match(error.detail, new RegExp(`from ${BOB}, not from ${ALICE}`));
  });

  test('an unsigned reply, right digest and From, is refused: RFC 8823 wants it authenticated', async () => {
    const error = await refusedReply(async (mail, digest) => sendReply({ from: ALICE, tokenPart1: mail.tokenPart1, inReplyTo: mail.messageId, digest, sign: false }));
    assert.equal(error.type, 'urn:ietf:params:acme:error:unauthorized');
    assert.match(error.detail, /not S\/MIME-signed by a trusted certificate/);
  });

  test('JWS rules: a replayed nonce, a wrong url, jwk where kid belongs, an HS256 header', async () => {
    const key = createPrivateKey(await acme.crypto.createPrivateEcdsaKey('P-256'));
    const jwk = publicJwkOf(createPublicKey(key));
    const newAccountUrl = `${server.url}/acme/new-account`;
    const nonce = async () => (await fetch(`${server.url}/acme/new-nonce`, { method: 'HEAD' })).headers.get('replay-nonce')!;
    const post = async (target: string, header: Record<string, unknown>, payload: unknown) => {
      const protectedB64 = base64url(JSON.stringify(header));
      const payloadB64 = base64url(JSON.stringify(payload));
      const signature = signData('sha256', Buffer.from(`${protectedB64}.${payloadB64}`), { key, dsaEncoding: 'ieee-p1363' });
      const response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/jose+json' }, body: JSON.stringify({ protected: protectedB64, payload: payloadB64, signature: base64url(signature) }) });
      return { status: response.status, body: await response.json() as { type: string; detail: string } };
    };
    const header = { alg: 'ES256', nonce: await nonce(), url: newAccountUrl, jwk };
    assert.equal((await post(newAccountUrl, header, { termsOfServiceAgreed: true })).status, 201);
    const replayed = await post(newAccountUrl, header, { termsOfServiceAgreed: true });
    assert.equal(replayed.status, 400);
    assert.equal(replayed.body.type, 'urn:ietf:params:acme:error:badNonce');
    assert.match(replayed.body.detail, /already used/);
    const wrongUrl = await post(newAccountUrl, { ...header, nonce: await nonce(), url: `${server.url}/acme/new-order` }, {});
    assert.equal(wrongUrl.body.type, 'urn:ietf:params:acme:error:unauthorized');
    const jwkForOrder = await post(`${server.url}/acme/new-order`, { ...header, nonce: await nonce(), url: `${server.url}/acme/new-order` }, { identifiers: [{ type: 'email', value: ALICE }] });
    assert.match(jwkForOrder.body.detail, /"kid"/);
    const hs256 = await post(newAccountUrl, { ...header, alg: 'HS256', nonce: await nonce() }, {});
    assert.equal(hs256.body.type, 'urn:ietf:params:acme:error:badSignatureAlgorithm');
  });

  test('an account that orders without answering is stopped: each order mails a mailbox (rateLimited)', async () => {
    const client = new acme.Client({ directoryUrl: server.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey('P-256') });
    await client.createAccount({ termsOfServiceAgreed: true });
    const before = (await mailbox(BOB).list('INBOX')).length;
    for (let i = 0; i < 10; i++) await client.createOrder({ identifiers: [{ type: 'email', value: BOB }] } as Parameters<acme.Client['createOrder']>[0]);
    await assert.rejects(client.createOrder({ identifiers: [{ type: 'email', value: BOB }] } as Parameters<acme.Client['createOrder']>[0]), /10 orders waiting for their challenge/);
    assert.equal((await mailbox(BOB).list('INBOX')).length - before, 10, 'the refused order mailed nobody');
  });

  test('the client answers only a challenge mail the CA signed, when it has trust anchors', async () => {
    const root = (await store.chain()).at(-1)!;
    const seenBefore = new Set((await mailbox(BOB).list('INBOX')).map((m) => m.id));
    const notAnswered = requestCertificateByAcme({
      directoryUrl: server.directoryUrl,
      email: BOB,
      keyType: 'ec-p256',
      mailbox: mailbox(BOB),
      transport: { deliver: async () => assert.fail('no reply may be sent to an unsigned challenge') },
      store: {} as CredentialStore, // never reached: nothing is signed or installed
      challengeValidator: createCertificateValidator({ trustAnchors: [root], revocation: 'off' }),
      timeoutMs: 1500,
      pollMs: 100,
    });
    // This file's server sends its challenges unsigned: the genuine-looking mail is skipped.
    await assert.rejects(notAnswered, (error: CachetError) => error.code === 'ERR_ACME' && /no challenge mail from acme@example.com arrived/.test(error.message));
    // The challenge did arrive: it was skipped for being unsigned, not missed.
    const arrived = (await mailbox(BOB).list('INBOX')).filter((m) => !seenBefore.has(m.id));
    const subjects = await Promise.all(arrived.map(async (m) => /^Subject: (.*)$/m.exec((await mailbox(BOB).read('INBOX', m.id)).toString('latin1'))?.[1] ?? ''));
    assert.ok(subjects.some((subject) => subject.startsWith('ACME: ')), `a challenge mail arrived: ${subjects.join(' | ')}`);
  });

  test('a dns identifier is refused: unsupportedIdentifier', async () => {
    const client = new acme.Client({ directoryUrl: server.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey('P-256') });
    await client.createAccount({ termsOfServiceAgreed: true });
    await assert.rejects(client.createOrder({ identifiers: [{ type: 'dns', value: 'example.com' }] }), /identifier type must be "email"/);
  });
});
