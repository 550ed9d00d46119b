/**
 * `cachet cert request --acme`: the user's client for an ACME S/MIME server (RFC 8555 + RFC 8823).
 * It makes a key pair, opens an ACME account (a fresh P-256 account key: nothing to keep), orders a
 * certificate for the user's mailbox, finds the challenge mail in the user's own mailbox (the
 * account's: Maildir or IMAP), answers it through the account's transport (RFC 8823 §3.2: the server
 * wants the reply authenticated; the user's current signing credential S/MIME-signs it, or, for a
 * first certificate, the user's mail server DKIM-signs it),
 * finalizes with a PKCS#10 request and installs the certificate in the vault with the role its key
 * usage gives it, the new key kept encrypted like every key.
 */
import 'reflect-metadata';
import { generateKeyPairSync, randomBytes, sign as signData, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import { CachetError } from '../errors.js';
import { certificateRole } from '../engine/pki/certificate-role.js';
import { openMessage } from '../engine/smime/open.js';
import { signMessage } from '../engine/smime/sign.js';
import type { CertificateValidator } from '../engine/pki/validator.js';
import { collectBytes, toByteStream } from '../engine/stream-types.js';
import { base64url, publicJwkOf, jwkThumbprint } from '../adapters/ca/acme-jws.js';
import { CHALLENGE_TYPE, headerFieldOf, keyAuthorization, responseDigest, responseText, tokenPart1OfSubject } from '../adapters/ca/acme-email-challenge.js';
import { pemDecodeAll, type KeyType } from '../adapters/ca/ca-store.js';
import type { CredentialRole, CredentialStore, StoredCredential } from '../adapters/keys/credential-store.js';
import type { Mailbox } from '../adapters/mail/mailbox.js';
import { requireEveryRecipient, type Transport } from '../adapters/mail/transport.js';
import { signedRequest } from './renewal.js';
import type { Pkcs11Token } from '../adapters/keys/pkcs11/token.js';
import { requestSignedByToken, tokenKeySpec } from '../adapters/ca/token-enrolment.js';
import { getTemplate } from '../adapters/ca/templates.js';

const crypto = webcrypto as unknown as Crypto;
/** An ACME answer larger than this is not one (a certificate chain is a few kilobytes). */
export const MAX_ACME_RESPONSE_BYTES = 256 * 1024;

export interface AcmeRequestOptions {
  directoryUrl: string;
  email: string;
  /** A template the server offers as an order profile; absent: the server's default. */
  profile?: string;
  keyType: KeyType;
  /** The user's mailbox, where the challenge arrives (INBOX). */
  mailbox: Mailbox;
  /** The user's account transport, which sends the reply. */
  transport: Transport;
  store: CredentialStore;
  /**
   * Make the key pair ON this PKCS#11 token (sensitive, never extractable), have the token sign the
   * request, and write the certificate back onto it beside the key (same CKA_ID) instead of the vault.
   */
  tokenKey?: { token: Pkcs11Token; label?: string };
  /**
   * When given, only a challenge mail that opens as `valid` (S/MIME-signed by a trusted certificate
   * of the challenge's `from`, RFC 8823 §3.1) is answered: a look-alike is skipped. Absent (no trust
   * anchors), the mail is taken on its headers.
   */
  challengeValidator?: CertificateValidator;
  /** How long to wait for the challenge mail, and then for the server to see the reply. */
  timeoutMs?: number;
  pollMs?: number;
  fetch?: typeof fetch;
  /** Progress lines for the user. */
  log?: (line: string) => void;
}

export interface AcmeRequestResult {
  /** The credential installed in the vault (absent when the key is on a token). */
  credential?: StoredCredential;
  /** Where the key and certificate are on the token, with tokenKey. */
  onToken?: { id: string; label: string };
  role: CredentialRole;
  email: string[];
  subject: string;
  notAfter: string;
  serial: string;
  chainPem: string;
}

/** Where the new key is made and the certificate kept: the vault (software key) or a token. */
interface KeyHolder {
  /** Makes the key pair; a PKCS#10 request for `email` signed with it. */
  request(email: string): Promise<Uint8Array>;
  install(certificate: Uint8Array, chain: Uint8Array[]): Promise<Pick<AcmeRequestResult, 'credential' | 'onToken'>>;
  /** Removes a key that got no certificate (nothing to do for a software key not yet kept). */
  discard(): void;
}

function vaultKeyHolder(store: CredentialStore, keyType: KeyType): KeyHolder {
  let pkcs8: Uint8Array | undefined;
  return {
    async request(email) {
      const algorithm = keyAlgorithm(keyType);
      const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
      const made = await signedRequest(keys, algorithm, email);
      pkcs8 = made.pkcs8;
      return made.csr;
    },
    async install(certificate, chain) {
      const credential = await store.add({ certificate, chain, privateKeyPkcs8: pkcs8!, role: roleOf(certificate), exportable: true }, { replaceActive: true });
      return { credential };
    },
    discard() {},
  };
}

function profileRole(profile: string | undefined): string | undefined {
  if (profile === undefined) return undefined;
  try {
    return getTemplate(profile).role;
  } catch {
    return undefined; // a profile this Cachet does not know: the server's own
  }
}

function tokenKeyHolder(token: Pkcs11Token, keyType: KeyType, profile: string | undefined, label: string | undefined): KeyHolder {
  let id = randomBytes(8).toString('hex');
  while (token.hasObject(id)) id = randomBytes(8).toString('hex');
  let made = false;
  let name = label ?? '';
  // The role is the server's template's: only a profile known to be a signing one needs no decryption on the token.
  const decrypt = profileRole(profile) !== 'signing';
  return {
    async request(email) {
      name = label ?? `${email} (ACME)`;
      const spki = await token.generateKeyPair(tokenKeySpec(keyType), id, name, { decrypt });
      made = true;
      return requestSignedByToken(token, id, spki, name, email);
    },
    async install(certificate) {
      roleOf(certificate);
      token.writeCertificate(certificate, id, name);
      return { onToken: { id, label: name } };
    },
    discard() {
      if (made) token.destroyObjects(id);
    },
  };
}

interface AcmeChallenge { type: string; url: string; status: string; token: string; from?: string; error?: { detail?: string } }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The few requests of RFC 8555 a client needs, each a JWS signed by the account key. */
class AcmeConnection {
  private nonce: string | undefined;
  kid: string | undefined;
  private readonly jwk;

  constructor(private readonly directory: Record<string, string>, private readonly key: KeyObject, private readonly http: typeof fetch) {
    this.jwk = publicJwkOf(key);
  }

  get thumbprint(): string {
    return jwkThumbprint(this.jwk);
  }

  private async freshNonce(): Promise<string> {
    if (this.nonce) {
      const nonce = this.nonce;
      this.nonce = undefined;
      return nonce;
    }
    const response = await this.http(this.directory.newNonce!, { method: 'HEAD' });
    const nonce = response.headers.get('replay-nonce');
    if (!nonce) throw new CachetError('ERR_ACME', 'the ACME server gave no nonce');
    return nonce;
  }

  /** POSTs a JWS (payload undefined: POST-as-GET); retries once on badNonce as RFC 8555 §6.5 allows. */
  async post(url: string, payload: unknown, retry = true): Promise<{ body: string; location: string | null; json(): Record<string, unknown> }> {
    const header = { alg: 'ES256', nonce: await this.freshNonce(), url, ...(this.kid ? { kid: this.kid } : { jwk: this.jwk }) };
    const protectedB64 = base64url(JSON.stringify(header));
    const payloadB64 = payload === undefined ? '' : base64url(JSON.stringify(payload));
    const signature = signData('sha256', Buffer.from(`${protectedB64}.${payloadB64}`), { key: this.key, dsaEncoding: 'ieee-p1363' });
    let response: Response;
    try {
      response = await this.http(url, { method: 'POST', headers: { 'content-type': 'application/jose+json' }, body: JSON.stringify({ protected: protectedB64, payload: payloadB64, signature: base64url(signature) }) });
    } catch (error) {
      throw new CachetError('ERR_ACME', `the ACME server at ${url} cannot be reached: ${(error as Error).message}`, { cause: error });
    }
    this.nonce = response.headers.get('replay-nonce') ?? undefined;
    const body = await response.text();
    if (body.length > MAX_ACME_RESPONSE_BYTES) throw new CachetError('ERR_ACME', 'the ACME server answered more than an ACME answer can be');
    if (!response.ok) {
      let problem: { type?: string; detail?: string } = {};
      try {
        problem = JSON.parse(body) as typeof problem;
      } catch {
        // not a problem document: the status says it
      }
      if (retry && problem.type === 'urn:ietf:params:acme:error:badNonce') return this.post(url, payload, false);
      throw new CachetError('ERR_ACME', `the ACME server refused: ${problem.detail ?? `HTTP ${response.status}`}`, { details: { url, type: problem.type, status: response.status } });
    }
    return {
      body,
      location: response.headers.get('location'),
      json: () => JSON.parse(body) as Record<string, unknown>,
    };
  }
}

async function isAuthentic(raw: Uint8Array, validator: CertificateValidator): Promise<boolean> {
  const opened = await openMessage(toByteStream(raw), { decryptors: [], validator });
  await opened.dispose();
  return opened.report.status === 'valid';
}

/** Waits for the challenge mail: Subject "ACME: <token-part1>" from the challenge's `from`, auto-submitted for ACME. */
async function awaitChallengeMail(options: AcmeRequestOptions, from: string, seen: Set<string>, deadline: number): Promise<{ tokenPart1: string; messageId: string | undefined }> {
  for (;;) {
    for (const info of (await options.mailbox.list('INBOX')).filter((m) => !seen.has(m.id))) {
      const raw = await options.mailbox.read('INBOX', info.id);
      const tokenPart1 = tokenPart1OfSubject(headerFieldOf(raw, 'subject'));
      const sender = headerFieldOf(raw, 'from')?.replace(/^.*<([^>]+)>.*$/, '$1').toLowerCase();
      // RFC 8823 §3.1: the challenge is auto-submitted "type=acme"; a look-alike from elsewhere is not it.
      // Whatever is not the challenge is looked at once.
      seen.add(info.id);
      if (!tokenPart1 || sender !== from.toLowerCase() || !/type=acme/i.test(headerFieldOf(raw, 'auto-submitted') ?? '')) continue;
      if (options.challengeValidator && !(await isAuthentic(raw, options.challengeValidator))) {
        options.log?.(`skipped a challenge mail from ${from} that is not S/MIME-signed by a trusted certificate of ${from}`);
        continue;
      }
      return { tokenPart1, messageId: headerFieldOf(raw, 'message-id') };
    }
    if (Date.now() > deadline) throw new CachetError('ERR_ACME', `no challenge mail from ${from} arrived in the INBOX of ${options.email}`);
    await sleep(options.pollMs ?? 500);
  }
}

/**
 * The reply (RFC 8823 §3.2), which the server wants authenticated: S/MIME-signed with the user's
 * active signing credential for that address when there is one; otherwise plain, for the user's mail
 * server to DKIM-sign on its way out (how a first certificate is had).
 */
async function buildReply(store: CredentialStore, email: string, to: string, tokenPart1: string, inReplyTo: string | undefined, digest: string, log: (line: string) => void): Promise<Uint8Array> {
  const text = [
    `From: ${email}`,
    `To: ${to}`,
    `Subject: Re: ACME: ${tokenPart1}`,
    ...(inReplyTo ? [`In-Reply-To: ${inReplyTo}`, `References: ${inReplyTo}`] : []),
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
    '',
    '',
  ].join('\r\n') + responseText(digest);
  const signer = await store.active('signing');
  if (!signer || !signer.email.map((e) => e.toLowerCase()).includes(email.toLowerCase())) {
    log(`you hold no signing certificate for ${email}: the reply goes unsigned, and counts only if your mail server DKIM-signs it`);
    return Buffer.from(text, 'latin1');
  }
  return collectBytes(signMessage(toByteStream(text), { mode: 'detached', signers: [{ certificate: signer.certificate, chain: signer.chain, key: await store.privateKey(signer.id) }] }));
}

/** Polls an object (POST-as-GET) until its status leaves pending/processing. */
async function settle(connection: AcmeConnection, url: string, deadline: number, pollMs: number): Promise<Record<string, unknown>> {
  for (;;) {
    const object = (await connection.post(url, undefined)).json();
    if (object.status !== 'pending' && object.status !== 'processing') return object;
    if (Date.now() > deadline) throw new CachetError('ERR_ACME', `the ACME server did not finish ${url} in time (still ${String(object.status)})`);
    await sleep(pollMs);
  }
}

function keyAlgorithm(type: KeyType): RsaHashedKeyGenParams | EcKeyGenParams {
  return type.startsWith('rsa-')
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: Number(type.slice(4)), publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: type === 'ec-p384' ? 'P-384' : 'P-256' };
}

function roleOf(certificate: Uint8Array): CredentialRole {
  const { role } = certificateRole(certificate);
  if (role === 'none') throw new CachetError('ERR_CERT_ROLE_UNUSABLE', 'the ACME server issued a certificate that cannot sign or encrypt mail');
  return role === 'dual' ? 'both' : role;
}

export async function requestCertificateByAcme(options: AcmeRequestOptions): Promise<AcmeRequestResult> {
  const http = options.fetch ?? fetch;
  const log = options.log ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 120_000;
  const pollMs = options.pollMs ?? 500;
  let directory: Record<string, string>;
  try {
    directory = await (await http(options.directoryUrl)).json() as Record<string, string>;
  } catch (error) {
    throw new CachetError('ERR_ACME', `no ACME directory at ${options.directoryUrl}: ${(error as Error).message}`, { cause: error });
  }
  const connection = new AcmeConnection(directory, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, http);
  connection.kid = (await connection.post(directory.newAccount!, { termsOfServiceAgreed: true, contact: [`mailto:${options.email}`] })).location ?? undefined;
  if (!connection.kid) throw new CachetError('ERR_ACME', 'the ACME server did not name the new account (no Location)');
  // Messages already in the INBOX cannot be this order's challenge.
  const seen = new Set((await options.mailbox.list('INBOX')).map((m) => m.id));
  const ordered = await connection.post(directory.newOrder!, { identifiers: [{ type: 'email', value: options.email }], ...(options.profile ? { profile: options.profile } : {}) });
  const orderUrl = ordered.location!;
  const order = ordered.json() as { authorizations: string[]; finalize: string };
  const authz = (await connection.post(order.authorizations[0]!, undefined)).json() as { challenges: AcmeChallenge[] };
  const challenge = authz.challenges.find((c) => c.type === CHALLENGE_TYPE);
  if (!challenge?.from) throw new CachetError('ERR_ACME', `the ACME server offers no ${CHALLENGE_TYPE} challenge for ${options.email}`);
  log(`order placed; waiting for the challenge mail from ${challenge.from}`);
  const deadline = Date.now() + timeoutMs;
  const mail = await awaitChallengeMail(options, challenge.from, seen, deadline);
  const digest = responseDigest(keyAuthorization(mail.tokenPart1, challenge.token, connection.thumbprint));
  requireEveryRecipient(await options.transport.deliver({ from: options.email, to: [challenge.from] }, await buildReply(options.store, options.email, challenge.from, mail.tokenPart1, mail.messageId, digest, log)));
  log(`reply sent to ${challenge.from}`);
  await connection.post(challenge.url, {});
  const answered = await settle(connection, challenge.url, deadline, pollMs) as unknown as AcmeChallenge;
  if (answered.status !== 'valid') throw new CachetError('ERR_ACME', `the ACME server did not accept the reply: ${answered.error?.detail ?? answered.status}`);

  const holder = options.tokenKey
    ? tokenKeyHolder(options.tokenKey.token, options.keyType, options.profile, options.tokenKey.label)
    : vaultKeyHolder(options.store, options.keyType);
  try {
    await connection.post(order.finalize, { csr: base64url(await holder.request(options.email)) });
    const done = await settle(connection, orderUrl, deadline, pollMs) as { status: string; certificate?: string; error?: { detail?: string } };
    if (done.status !== 'valid' || !done.certificate) throw new CachetError('ERR_ACME', `the order ended ${done.status}: ${done.error?.detail ?? 'no certificate'}`);
    const chainPem = (await connection.post(done.certificate, undefined)).body;
    const [certificate, ...chain] = pemDecodeAll(Buffer.from(chainPem), 'CERTIFICATE');
    if (!certificate) throw new CachetError('ERR_ACME', 'the ACME server sent no certificate');
    const installed = await holder.install(certificate, chain);
    const x509 = new X509Certificate(certificate);
    return {
      ...installed,
      role: roleOf(certificate),
      email: installed.credential?.email ?? [options.email],
      subject: x509.subject,
      notAfter: new Date(x509.validTo).toISOString(),
      serial: x509.serialNumber.toLowerCase(),
      chainPem,
    };
  } catch (error) {
    holder.discard();
    throw error;
  }
}
