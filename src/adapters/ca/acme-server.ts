/**
 * The CA's ACME server (RFC 8555) for S/MIME certificates (RFC 8823): directory, newNonce,
 * newAccount, newOrder for one `email` identifier, authorization, the `email-reply-00` challenge,
 * finalize with a PKCS#10 request, and the certificate as a PEM chain. Every POST is a JWS checked in
 * one place (`authenticate`): a nonce this server issued and never saw before, the url it was sent
 * to, `jwk` only for newAccount and `kid` for everything else, and an ES256/RS256 signature.
 *
 * Accounts and orders (with their challenge and certificate) live in an AcmeStore (by default files
 * under the CA directory, acme-store.ts): a restart keeps them. Nonces live in this process. What the
 * CA keeps besides: the certificate in the index and the audit log (`acme-order` when a mailbox was
 * validated, `issue` when the certificate was made).
 *
 * Which template: the server's default, or one of its allowed templates named by the order's
 * `profile` (draft-ietf-acme-profiles; the directory's `meta.profiles` lists them).
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KeyObject } from 'node:crypto';
import type { Signer } from '../../engine/keys.js';
import type { CertificateValidator } from '../../engine/pki/validator.js';
import { signMessage } from '../../engine/smime/sign.js';
import { collectBytes, toByteStream } from '../../engine/stream-types.js';
import { CachetError, isCachetError } from '../../errors.js';
import { base64url, jwkThumbprint, parseJws, publicJwkOf, publicKeyOfJwk, verifyJwsSignature, type ParsedJws } from './acme-jws.js';
import { AcmeProblem } from './acme-problem.js';
import { FileAcmeStore, type AcmeAccountRecord, type AcmeOrderRecord, type AcmeProblemRecord, type AcmeStore } from './acme-store.js';
import { dnsResolver, type DnsResolver } from './acme-dkim.js';
import { buildChallengeMail, CHALLENGE_TYPE, checkReply, headerFieldOf, keyAuthorization, newTokenParts, responseDigest, tokenPart1OfSubject } from './acme-email-challenge.js';
import { pemEncode, type CaKeyPair, type CaStore } from './ca-store.js';
import { acceptRequest } from './csr.js';
import { checkMailbox, issueCertificate } from './issue.js';
import type { CertificateTemplate } from './templates.js';

/** A JWS body larger than this is not an ACME request (a CSR of a 4096-bit key is ~2 kB). */
export const MAX_ACME_REQUEST_BYTES = 64 * 1024;
/** Nonces kept for replay detection; the oldest are forgotten first (a client then gets badNonce and retries). */
export const MAX_NONCES = 10_000;
/** Accounts one server keeps at most: a stranger cannot fill the disk. */
export const MAX_ACCOUNTS = 10_000;
/** Orders one account keeps at most (expired ones are forgotten after ORDER_RETENTION_MS). */
export const MAX_ORDERS_PER_ACCOUNT = 1_000;
/** How long an order and its challenge stay answerable. */
export const ORDER_LIFETIME_MS = 24 * 3_600_000;
/** How long an expired order (and the certificate it offers for download) is kept after it expired. */
export const ORDER_RETENTION_MS = 7 * 24 * 3_600_000;
/** Orders one account may have waiting for their challenge: each one mails a stranger's mailbox. */
export const MAX_PENDING_ORDERS_PER_ACCOUNT = 10;
/** Replies read per validation attempt (the newest first). */
export const MAX_REPLIES_SCANNED = 200;

/** Where the server mails a challenge, and where it reads the replies (the CA's own mailbox). */
export interface AcmeMail {
  /** The From of challenge mails, and the address replies go to. */
  from: string;
  send(to: string, message: Uint8Array): Promise<void>;
  /** The raw replies waiting in the CA's mailbox (bounded by the caller). */
  replies(): Promise<Uint8Array[]>;
}

export interface AcmeServerOptions {
  store: CaStore;
  issuer: CaKeyPair;
  /** The template used when an order names no profile. */
  template: CertificateTemplate;
  /** Further templates an order may ask for by name (its `profile`). */
  templates?: CertificateTemplate[];
  mail: AcmeMail;
  /**
   * Signs each challenge mail (S/MIME, detached), as RFC 8823 §3.1 asks of the CA (DKIM or S/MIME),
   * so the client can tell a genuine challenge from a look-alike. Absent: sent unsigned (tests, or an
   * MTA that DKIM-signs).
   */
  challengeSigner?: Signer;
  /** Checks the S/MIME signature of replies (trust: this CA's root). */
  validator: CertificateValidator;
  /**
   * The DNS that gives DKIM public keys, for replies authenticated by DKIM instead of S/MIME (a
   * mailbox's first certificate). Default: the system's resolver.
   */
  dkimResolver?: DnsResolver;
  port: number;
  host?: string;
  /**
   * Serve HTTPS with this certificate (RFC 8555 §6.1 wants ACME over HTTPS). Absent: plain HTTP,
   * for a TLS-terminating proxy in front or a loopback test.
   */
  tls?: AcmeTls;
  /**
   * The URL clients reach this server at (`https://acme.example.com`), which every URL it gives out
   * starts with and every JWS must name: behind a proxy, or when the certificate names a host.
   * Default: the scheme, host and port listened on.
   */
  publicUrl?: string;
  /** Where accounts and orders are kept. Default: files in the CA directory's `acme/`. */
  state?: AcmeStore;
  log?: (line: string) => void;
}

/** An account as a request uses it: the stored record and its key. */
interface Account extends AcmeAccountRecord { key: KeyObject }

/** The server's own TLS certificate (PEM, its chain after it) and key. */
export interface AcmeTls { cert: string | Uint8Array; key: string | Uint8Array }

export interface RunningAcmeServer {
  url: string;
  directoryUrl: string;
  /** With TLS: the next handshakes use this certificate and key (a renewed certificate, no restart). */
  reloadTls(tls: AcmeTls): void;
  close(): Promise<void>;
}

function newId(): string {
  return base64url(randomBytes(12));
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new AcmeProblem('malformed', `the request is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Nonces (RFC 8555 §6.5): issued here, each good for one request. */
class Nonces {
  private readonly issued = new Set<string>();

  newNonce(): string {
    const nonce = base64url(randomBytes(16));
    this.issued.add(nonce);
    if (this.issued.size > MAX_NONCES) this.issued.delete(this.issued.values().next().value!);
    return nonce;
  }

  /** A replayed or invented nonce is refused. */
  consume(nonce: string): void {
    if (!this.issued.delete(nonce)) throw new AcmeProblem('badNonce', 'the nonce was not issued by this server or was already used (a replayed request); get a fresh one');
  }
}

/** Runs the changes to one order one at a time (a poll and a finalize arriving together must not both issue). */
class OrderLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(orderId: string, action: () => Promise<T>): Promise<T> {
    const before = this.tails.get(orderId) ?? Promise.resolve();
    const result = before.then(action, action);
    const tail = result.catch(() => {});
    this.tails.set(orderId, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(orderId) === tail) this.tails.delete(orderId);
    }
  }
}

const problemOf = (record: AcmeProblemRecord): AcmeProblem => new AcmeProblem(record.type, record.detail);
const recordOf = (problem: AcmeProblem): AcmeProblemRecord => ({ type: problem.type, detail: problem.message });

/** The origin of a public URL ("https://acme.example.com:8555"); a path, query or user part is refused. */
function publicOrigin(publicUrl: string | undefined): string | undefined {
  if (publicUrl === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(publicUrl);
  } catch {
    throw new CachetError('ERR_USAGE', `the public URL "${publicUrl}" is not a URL`);
  }
  if (!/^https?:$/.test(parsed.protocol) || parsed.pathname !== '/' || parsed.search || parsed.username || parsed.password) {
    throw new CachetError('ERR_USAGE', `the public URL is http(s)://HOST[:PORT] only, without a path (not "${publicUrl}"): the ACME URLs are under /acme/`);
  }
  return parsed.origin;
}

export async function startAcmeServer(options: AcmeServerOptions): Promise<RunningAcmeServer> {
  const nonces = new Nonces();
  const locks = new OrderLocks();
  const state = options.state ?? new FileAcmeStore(join(options.store.directory, 'acme'));
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const dkimResolver = options.dkimResolver ?? dnsResolver();
  const templates = new Map<string, CertificateTemplate>([options.template, ...(options.templates ?? [])].map((t) => [t.name, t]));
  let base = '';
  const url = (path: string) => `${base}/acme/${path}`;

  function directory(): Record<string, unknown> {
    return {
      newNonce: url('new-nonce'),
      newAccount: url('new-account'),
      newOrder: url('new-order'),
      meta: { externalAccountRequired: false, profiles: Object.fromEntries([...templates.values()].map((t) => [t.name, `${t.role} (${t.name})`])) },
    };
  }

  function accountJson(account: Account): Record<string, unknown> {
    return { status: 'valid', contact: account.contact, orders: url(`account/${account.id}/orders`) };
  }

  function orderJson(order: AcmeOrderRecord): Record<string, unknown> {
    return {
      status: order.status,
      expires: order.expires,
      identifiers: [{ type: 'email', value: order.email }],
      profile: order.template,
      authorizations: [url(`authz/${order.id}`)],
      finalize: url(`order/${order.id}/finalize`),
      ...(order.certificateChain ? { certificate: url(`cert/${order.id}`) } : {}),
      ...(order.error ? { error: problemOf(order.error).toJSON() } : {}),
    };
  }

  function challengeJson(order: AcmeOrderRecord): Record<string, unknown> {
    const c = order.authorization.challenge;
    return {
      type: CHALLENGE_TYPE,
      url: url(`chall/${order.id}`),
      status: c.status,
      // RFC 8823 §3.1: the challenge object carries token-part2; token-part1 is in the mail's subject.
      token: c.tokenPart2,
      from: options.mail.from,
      ...(c.validated ? { validated: c.validated } : {}),
      ...(c.error ? { error: problemOf(c.error).toJSON() } : {}),
    };
  }

  function authzJson(order: AcmeOrderRecord): Record<string, unknown> {
    return { identifier: { type: 'email', value: order.email }, status: order.authorization.status, expires: order.expires, challenges: [challengeJson(order)] };
  }

  function accountOf(record: AcmeAccountRecord | undefined): Account | undefined {
    return record ? { ...record, key: createPublicKey({ key: record.jwk, format: 'jwk' }) } : undefined;
  }

  /** Parses and checks a POST's JWS; returns the account (undefined for newAccount) and the payload. */
  async function authenticate(body: string, requestUrl: string, newAccount: boolean): Promise<{ jws: ParsedJws; account?: Account; key: KeyObject }> {
    const jws = parseJws(body);
    nonces.consume(jws.header.nonce);
    if (jws.header.url !== requestUrl) throw new AcmeProblem('unauthorized', `the JWS "url" (${jws.header.url}) is not the URL the request was sent to (${requestUrl})`);
    if (newAccount) {
      if (!jws.header.jwk) throw new AcmeProblem('malformed', 'newAccount is signed with the new account key, given as "jwk" (not "kid")');
      const key = publicKeyOfJwk(jws.header.jwk, jws.header.alg);
      verifyJwsSignature(jws, key);
      return { jws, key };
    }
    if (!jws.header.kid) throw new AcmeProblem('malformed', 'this request must name its account with "kid" (a "jwk" is for newAccount only)');
    const prefix = url('account/');
    const account = jws.header.kid.startsWith(prefix) ? accountOf(await state.account(jws.header.kid.slice(prefix.length))) : undefined;
    if (!account) throw new AcmeProblem('accountDoesNotExist', `no account ${jws.header.kid} on this server`);
    publicKeyOfJwk(account.jwk, jws.header.alg); // the algorithm must fit the account's key
    verifyJwsSignature(jws, account.key);
    return { jws, account, key: account.key };
  }

  function payloadObject(jws: ParsedJws): Record<string, unknown> {
    if (jws.payload === '') return {};
    try {
      const value = JSON.parse(jws.payload) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // falls through to the problem below
    }
    throw new AcmeProblem('malformed', 'the JWS payload is not a JSON object');
  }

  /** The account's order, or unauthorized: another account's order is not found, not shown. */
  async function orderOf(account: Account, orderId: string | undefined): Promise<AcmeOrderRecord> {
    const order = await state.order(account.id, orderId ?? '');
    if (!order) throw new AcmeProblem('unauthorized', 'no such order for this account');
    return order;
  }

  /** An order past its expiry that was not issued is invalid (it is changed, not yet saved). */
  function expireIfDue(order: AcmeOrderRecord): boolean {
    if (Date.now() <= Date.parse(order.expires) || order.status === 'valid' || order.status === 'invalid') return false;
    order.status = 'invalid';
    if (order.authorization.status !== 'valid') order.authorization.status = 'invalid';
    return true;
  }

  /** The account's orders, those expired longer than ORDER_RETENTION_MS forgotten. */
  async function liveOrders(account: Account): Promise<AcmeOrderRecord[]> {
    const live: AcmeOrderRecord[] = [];
    for (const order of await state.orders(account.id)) {
      if (Date.now() > Date.parse(order.expires) + ORDER_RETENTION_MS) await state.removeOrder(account.id, order.id);
      else live.push(order);
    }
    return live;
  }

  async function newOrder(account: Account, payload: Record<string, unknown>): Promise<AcmeOrderRecord> {
    const identifiers = payload.identifiers;
    if (!Array.isArray(identifiers) || identifiers.length !== 1) throw new AcmeProblem('rejectedIdentifier', 'an S/MIME order names exactly one identifier: one certificate certifies one mailbox');
    const identifier = identifiers[0] as { type?: unknown; value?: unknown };
    if (identifier.type !== 'email') throw new AcmeProblem('unsupportedIdentifier', `this server certifies mailboxes: the identifier type must be "email" (RFC 8823), not "${String(identifier.type)}"`);
    let email: string;
    try {
      email = checkMailbox(String(identifier.value));
    } catch {
      throw new AcmeProblem('rejectedIdentifier', `"${String(identifier.value)}" is not a mailbox address this CA can certify`);
    }
    const profile = payload.profile;
    const template = profile === undefined ? options.template : templates.get(String(profile));
    if (!template) throw new AcmeProblem('malformed', `this server offers no profile "${String(profile)}" (offered: ${[...templates.keys()].join(', ')})`);
    const orders = await liveOrders(account);
    if (orders.length >= MAX_ORDERS_PER_ACCOUNT) throw new AcmeProblem('rateLimited', `this account holds ${orders.length} orders, as many as it may; they are forgotten a week after they expire`);
    const pending = orders.filter((o) => o.status === 'pending' && Date.now() <= Date.parse(o.expires)).length;
    if (pending >= MAX_PENDING_ORDERS_PER_ACCOUNT) throw new AcmeProblem('rateLimited', `this account has ${pending} orders waiting for their challenge; answer or let them expire first`);
    const { tokenPart1, tokenPart2 } = newTokenParts();
    const order: AcmeOrderRecord = {
      id: newId(),
      accountId: account.id,
      status: 'pending',
      expires: new Date(Date.now() + ORDER_LIFETIME_MS).toISOString(),
      email,
      template: template.name,
      authorization: { status: 'pending', challenge: { status: 'pending', tokenPart1, tokenPart2 } },
    };
    // The challenge mail goes out first: an order whose mail could not be sent is not kept.
    const mail = buildChallengeMail({ from: options.mail.from, to: email, tokenPart1 });
    const message = options.challengeSigner
      ? await collectBytes(signMessage(toByteStream(mail.message), { mode: 'detached', signers: [options.challengeSigner] }))
      : mail.message;
    await options.mail.send(email, message);
    await state.saveOrder(order);
    log(`order ${order.id} for ${email} (${template.name}); challenge mailed`);
    return order;
  }

  function fail(order: AcmeOrderRecord, problem: AcmeProblem): void {
    order.authorization.challenge.status = 'invalid';
    order.authorization.challenge.error = recordOf(problem);
    order.authorization.status = 'invalid';
    order.status = 'invalid';
    order.error = recordOf(problem);
    log(`challenge for ${order.email} failed: ${problem.message}`);
  }

  /**
   * Looks for the reply in the CA's mailbox; a challenge is answered by the first reply naming its
   * token-part1. Changes the order (the caller saves it).
   */
  async function tryValidate(order: AcmeOrderRecord, account: Account): Promise<void> {
    const challenge = order.authorization.challenge;
    if (challenge.status !== 'processing') return;
    const replies = (await options.mail.replies()).slice(-MAX_REPLIES_SCANNED);
    const digest = responseDigest(keyAuthorization(challenge.tokenPart1, challenge.tokenPart2, account.thumbprint));
    for (const raw of replies) {
      if (tokenPart1OfSubject(headerFieldOf(raw, 'subject')) !== challenge.tokenPart1) continue;
      let authenticatedBy: string;
      try {
        authenticatedBy = await checkReply(raw, { email: order.email, tokenPart1: challenge.tokenPart1, digest }, options.validator, dkimResolver);
      } catch (error) {
        fail(order, error instanceof AcmeProblem ? error : new AcmeProblem('incorrectResponse', `the reply could not be read: ${(error as Error).message}`));
        return;
      }
      challenge.status = 'valid';
      challenge.validated = new Date().toISOString();
      order.authorization.status = 'valid';
      if (order.status === 'pending') order.status = 'ready';
      await options.store.audit.append({ who: `acme account ${url(`account/${account.id}`)}`, action: 'acme-order', email: order.email, details: { challenge: CHALLENGE_TYPE, validated: challenge.validated, authenticatedBy } });
      log(`mailbox ${order.email} validated (${CHALLENGE_TYPE}, reply authenticated by ${authenticatedBy})`);
      return;
    }
  }

  async function finalize(order: AcmeOrderRecord, account: Account, payload: Record<string, unknown>): Promise<void> {
    if (order.status !== 'ready') throw new AcmeProblem('orderNotReady', `the order is ${order.status}, not ready: its mailbox must be validated first`);
    if (typeof payload.csr !== 'string') throw new AcmeProblem('malformed', 'finalize needs "csr", a base64url PKCS#10 request');
    const template = templates.get(order.template);
    if (!template) throw new AcmeProblem('serverInternal', `this server no longer offers the order's profile "${order.template}"; order again`);
    const der = Buffer.from(payload.csr, 'base64url');
    let accepted;
    try {
      accepted = await acceptRequest(Buffer.from(pemEncode(der, 'CERTIFICATE REQUEST')), template, order.email);
    } catch (error) {
      if (isCachetError(error)) throw new AcmeProblem('badCSR', error.message);
      throw error;
    }
    try {
      const issued = await issueCertificate(options.store, options.issuer, {
        template,
        spki: accepted.spki,
        email: order.email,
        actor: `acme account ${url(`account/${account.id}`)}`,
        deliveredVia: 'ACME (RFC 8823): the requester holds the key',
      });
      order.certificateChain = [issued.certificate, ...(await options.store.chain())].map((c) => pemEncode(c, 'CERTIFICATE')).join('');
      order.status = 'valid';
      log(`issued ${issued.entry.template} certificate ${issued.entry.serial} for ${order.email}`);
    } catch (error) {
      const problem = isCachetError(error) ? new AcmeProblem('badCSR', error.message) : new AcmeProblem('serverInternal', 'the certificate could not be issued');
      order.status = 'invalid';
      order.error = recordOf(problem);
      throw problem;
    }
  }

  async function handlePost(path: string, requestUrl: string, body: string, response: ServerResponse): Promise<void> {
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => send(response, status, JSON.stringify(value), 'application/json', headers);
    if (path === 'new-account') {
      const { jws, key } = await authenticate(body, requestUrl, true);
      const payload = payloadObject(jws);
      const jwk = publicJwkOf(key);
      const thumbprint = jwkThumbprint(jwk);
      const existing = await state.accountOfKey(thumbprint);
      if (existing) return json(200, accountJson(accountOf(existing)!), { Location: url(`account/${existing.id}`) });
      if (payload.onlyReturnExisting === true) throw new AcmeProblem('accountDoesNotExist', 'no account exists with this key');
      const contact = Array.isArray(payload.contact) ? payload.contact.map(String).slice(0, 4) : [];
      if ((await state.countAccounts()) >= MAX_ACCOUNTS) throw new AcmeProblem('serverInternal', 'the ACME server holds as many accounts as it may; try later');
      const account: Account = { id: newId(), jwk, thumbprint, contact, createdAt: new Date().toISOString(), key };
      await state.addAccount({ id: account.id, jwk, thumbprint, contact, createdAt: account.createdAt });
      log(`account ${account.id} created`);
      return json(201, accountJson(account), { Location: url(`account/${account.id}`) });
    }
    const authenticated = await authenticate(body, requestUrl, false);
    const { jws } = authenticated;
    const account = authenticated.account!;
    const payload = payloadObject(jws);
    const [kind, id, action] = path.split('/');
    if (kind === 'account' && id === account.id && action === undefined) return json(200, accountJson(account));
    if (path === 'new-order') {
      const order = await newOrder(account, payload);
      return json(201, orderJson(order), { Location: url(`order/${order.id}`) });
    }
    if (kind !== 'order' && kind !== 'authz' && kind !== 'chall' && kind !== 'cert') throw new AcmeProblem('malformed', `no such resource ${path}`);
    if (action !== undefined && !(kind === 'order' && action === 'finalize')) throw new AcmeProblem('malformed', `no such resource ${path}`);
    const order = await locks.run(id ?? '', async () => {
      const current = await orderOf(account, id);
      let changed = expireIfDue(current);
      const before = JSON.stringify(current);
      try {
        if (kind === 'order' && action === 'finalize') await finalize(current, account, payload);
        if (kind === 'chall' && jws.payload !== '' && current.authorization.challenge.status === 'pending') {
          // A POST with {} says "the reply was sent" (RFC 8555 §7.5.1); POST-as-GET only asks.
          current.authorization.challenge.status = 'processing';
        }
        if (kind === 'chall' || kind === 'authz') await tryValidate(current, account);
      } finally {
        changed ||= JSON.stringify(current) !== before;
        if (changed) await state.saveOrder(current);
      }
      return current;
    });
    if (kind === 'order') return json(200, orderJson(order), { Location: url(`order/${order.id}`) });
    if (kind === 'authz') return json(200, authzJson(order));
    if (kind === 'chall') return json(200, challengeJson(order), { Link: `<${url(`authz/${order.id}`)}>;rel="up"` });
    if (!order.certificateChain) throw new AcmeProblem('unauthorized', 'no such certificate for this account');
    return send(response, 200, order.certificateChain, 'application/pem-certificate-chain');
  }

  function send(response: ServerResponse, status: number, body: string, type: string, headers: Record<string, string> = {}): void {
    response.writeHead(status, {
      'Content-Type': type,
      'Replay-Nonce': nonces.newNonce(),
      'Cache-Control': 'no-store',
      Link: `<${url('directory')}>;rel="index"`,
      ...headers,
    });
    response.end(body);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0]!;
    if (!path.startsWith('/acme/')) throw new AcmeProblem('malformed', `no such resource ${path}`);
    const route = path.slice('/acme/'.length);
    if (route === 'directory' && request.method === 'GET') return send(response, 200, JSON.stringify(directory()), 'application/json');
    if (route === 'new-nonce' && (request.method === 'HEAD' || request.method === 'GET')) {
      response.writeHead(request.method === 'HEAD' ? 200 : 204, { 'Replay-Nonce': nonces.newNonce(), 'Cache-Control': 'no-store', Link: `<${url('directory')}>;rel="index"` });
      response.end();
      return;
    }
    if (request.method !== 'POST') throw new AcmeProblem('malformed', `${request.method} is not allowed here: ACME requests are JWS POSTs (RFC 8555 §6.2)`);
    if (!/^application\/jose\+json\b/i.test(request.headers['content-type'] ?? '')) throw new AcmeProblem('malformed', 'an ACME POST has Content-Type application/jose+json');
    const body = await readBody(request, MAX_ACME_REQUEST_BYTES);
    await handlePost(route, `${base}${path}`, body, response);
  }

  const tlsOptions = (tls: AcmeTls) => ({ cert: Buffer.from(tls.cert), key: Buffer.from(tls.key), minVersion: 'TLSv1.2' as const });
  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      const problem = error instanceof AcmeProblem ? error : new AcmeProblem('serverInternal', 'the server failed to answer this request');
      if (!(error instanceof AcmeProblem)) log(`internal error: ${(error as Error).stack ?? String(error)}`);
      if (response.headersSent) return void response.end();
      send(response, problem.status, JSON.stringify(problem.toJSON()), 'application/problem+json');
    });
  };
  let server: Server | HttpsServer;
  try {
    server = options.tls ? createHttpsServer(tlsOptions(options.tls), onRequest) : createServer(onRequest);
  } catch (error) {
    throw new CachetError('ERR_USAGE', `the TLS certificate and key cannot be used: ${(error as Error).message}`, { cause: error });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new CachetError(
      'ERR_USAGE', error.code === 'EADDRINUSE' ? `port ${options.port} is already in use` : `cannot listen on ${host}:${options.port}: ${error.message}`, { cause: error })));
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  base = publicOrigin(options.publicUrl) ?? `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  return {
    url: base,
    directoryUrl: url('directory'),
    reloadTls(tls) {
      if (!options.tls) throw new CachetError('ERR_USAGE', 'this ACME server serves plain HTTP: there is no TLS certificate to reload');
      try {
        (server as HttpsServer).setSecureContext(tlsOptions(tls));
      } catch (error) {
        throw new CachetError('ERR_USAGE', `the new TLS certificate and key cannot be used (the old ones stay): ${(error as Error).message}`, { cause: error });
      }
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}

