/**
 * Issue 17, a FIRST certificate by ACME (RFC 8823 §3.2: the reply authenticated by DKIM): alice holds
 * no certificate at all; her client sends the reply unsigned through Postfix, whose opendkim milter
 * DKIM-signs it for example.com; the ACME server reads it over IMAP, fetches the public key from a
 * real DNS server (dnsmasq on 127.0.0.1, the server's --dkim-dns-server) and issues. A DKIM reply
 * that fails — changed in transit, signed with a key DNS does not publish, signed by a domain that
 * is not alice's — is refused, the reason in the order's error.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dkimSign } from 'mailauth';
import { dnsResolver } from '../../src/adapters/ca/acme-dkim.js';
import { requestCertificateByAcme } from '../../src/use-cases/acme-request.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { createMemoryCredentialStore } from '../../src/adapters/keys/memory-store.js';
import type { CachetError } from '../../src/errors.js';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { dkimRecordOf, generateDkimKey, startDkimSigner, startDns, type DkimKey, type DkimSigner, type TestDns } from '../helpers/dkim.js';
import { startAcmeOverMail, type AcmeOverMail } from './acme-over-mail.js';

const ALICE = 'alice@example.com';
let servers: MailServers | undefined;
let signer: DkimSigner | undefined;
let dns: TestDns | undefined;
let ca: AcmeOverMail | undefined;
let exampleKey: DkimKey;
let otherKey: DkimKey;
/** What happens to a reply between the CA's INBOX and the ACME server (a relay that changes mail). */
let inTransit: (raw: Buffer) => Promise<Buffer> = async (raw) => raw;

before(async () => {
  exampleKey = generateDkimKey('example.com', 'cachet');
  otherKey = generateDkimKey('other.org', 'other');
  dns = await startDns([
    { name: 'cachet._domainkey.example.com', text: exampleKey.record },
    { name: 'other._domainkey.other.org', text: otherKey.record },
  ]);
  signer = await startDkimSigner(exampleKey);
  servers = await startMailServers(['alice', 'acme'], { milter: signer.milter });
  ca = await startAcmeOverMail(servers, { template: 'dual', dkimResolver: dnsResolver([dns.server]), inTransit: (raw) => inTransit(raw) });
});
after(async () => {
  await ca?.close();
  servers?.stop();
  signer?.stop();
  dns?.stop();
});

/** Alice asks with an EMPTY vault: no certificate signs her reply; only her mail server's DKIM can vouch. */
async function aliceAsks() {
  const { root, acme, imap, smtp } = ca!;
  const vault = createMemoryCredentialStore();
  const result = await requestCertificateByAcme({
    directoryUrl: acme.directoryUrl,
    email: ALICE,
    keyType: 'ec-p256',
    mailbox: imap('alice'),
    transport: smtp('alice'),
    store: vault,
    challengeValidator: createCertificateValidator({ trustAnchors: [root], revocation: 'off' }),
    timeoutMs: 60_000,
    pollMs: 200,
  });
  return { result, vault };
}

function withoutDkimSignatures(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const header = text.slice(0, end).replace(/^DKIM-Signature:.*\r\n(?:[ \t].*\r\n)*/gim, '');
  return Buffer.from(`${header}${text.slice(end)}`, 'latin1');
}

/** A relay that strips the mail server's signature and signs with another key or domain (mailauth's signer). */
function resignedBy(signingDomain: string, selector: string, privateKey: DkimKey['privateKey'], headerList?: string) {
  return async (raw: Buffer) => {
    const bare = withoutDkimSignatures(raw);
    const key = { signingDomain, selector, privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string };
    // mailauth signs with the signatureData entries and takes headerList as "a:b:c" (its types say
    // otherwise: they ask for the top-level key fields and a list).
    const signed = await dkimSign(bare, { canonicalization: 'relaxed/relaxed', ...key, signatureData: [key], ...(headerList ? { headerList: headerList as unknown as string[] } : {}) });
    assert.deepEqual(signed.errors, []);
    assert.match(signed.signatures, /^DKIM-Signature: /);
    return Buffer.concat([Buffer.from(signed.signatures), bare]);
  };
}

async function refusal(): Promise<string> {
  let message = '';
  await assert.rejects(aliceAsks(), (error: CachetError) => {
    message = error.message;
    return error.code === 'ERR_ACME';
  });
  return message;
}

describe('ACME: a first certificate, the reply authenticated by DKIM (opendkim in Postfix, dnsmasq)', () => {
  test('alice has no certificate: her unsigned reply, DKIM-signed by her mail server, gets her one', async () => {
    inTransit = async (raw) => raw;
    const { result, vault } = await aliceAsks();
    assert.equal(result.credential!.role, 'both', 'the dual template: signing and encryption');
    assert.equal((await vault.active('signing'))?.id, result.credential!.id);
    // The reply the server accepted carried opendkim's signature, and no S/MIME.
    const caInbox = ca!.imap('acme');
    const replies = await Promise.all((await caInbox.list('INBOX')).map(async (m) => Buffer.from(await caInbox.read('INBOX', m.id)).toString('latin1')));
    const reply = replies.find((r) => /^Subject: Re: ACME: /m.test(r))!;
    assert.match(reply, /^DKIM-Signature:[^]*?d=example\.com;[^]*?s=cachet;/m);
    assert.doesNotMatch(reply, /application\/pkcs7-signature/);
    const audit = readFileSync(join(ca!.dir, 'ca', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; email?: string; details?: { authenticatedBy?: string } });
    assert.ok(audit.some((e) => e.action === 'acme-order' && e.email === ALICE && e.details?.authenticatedBy === 'DKIM d=example.com'), JSON.stringify(audit));
  });

  test('a reply whose body changed after signing is refused: the body hash', async () => {
    inTransit = async (raw) => Buffer.concat([raw, Buffer.from('\r\nAdded by a relay.\r\n')]);
    assert.match(await refusal(), /not DKIM-authenticated: the signature of example\.com does not verify \(neutral: body hash did not verify\)/);
  });

  test('a reply signed with a key that DNS does not publish is refused: bad signature', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    assert.notEqual(dkimRecordOf(privateKey), exampleKey.record);
    inTransit = resignedBy('example.com', 'cachet', privateKey);
    assert.match(await refusal(), /the signature of example\.com does not verify \(fail: bad signature\)/);
  });

  test('a reply signed (validly) by another domain is refused: not aligned with the From domain', async () => {
    inTransit = resignedBy('other.org', 'other', otherKey.privateKey);
    assert.match(await refusal(), /the signature of other\.org verifies but is not aligned with the From domain example\.com/);
  });

  test('a valid, aligned signature that leaves the Subject (the token) unsigned is refused', async () => {
    inTransit = resignedBy('example.com', 'cachet', exampleKey.privateKey, 'from:to:date');
    assert.match(await refusal(), /the signature of example\.com does not cover the From and Subject fields/);
  });
});
