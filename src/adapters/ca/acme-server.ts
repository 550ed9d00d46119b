/**
 * The CA's ACME server (RFC 8555) for S/MIME certificates (RFC 8823): directory, newNonce,
 * newAccount, newOrder for one `email` identifier, authorization, the `email-reply-00` challenge,
 * finalize with a PKCS#10 request, and the certificate as a PEM chain. Every POST is a JWS checked in
 * one place (`authenticate`): a nonce this server issued and never saw before, the url it was sent
 * to, `jwk` only for newAccount and `kid` for everything else, and an ES256/RS256 signature.
 *
 * State (accounts, orders, nonces) lives in this process: an order outlives neither the server nor
 * its expiry. What lasts is the CA's: the certificate in the index and the audit log
 * (`acme-order` when a mailbox was validated, `issue` when the certificate was made).
 *
 * Which template: the server's default, or one of its allowed templates named by the order's
 * `profile` (draft-ietf-acme-profiles; the directory's `meta.profiles` lists them).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import type { Signer } from '../../engine/keys.js';
import type { CertificateValidator } from '../../engine/pki/validator.js';
import { signMessage } from '../../engine/smime/sign.js';
import { collectBytes, toByteStream } from '../../engine/stream-types.js';
import { CachetError, isCachetError } from '../../errors.js';
import { base64url, jwkThumbprint, parseJws, publicJwkOf, publicKeyOfJwk, verifyJwsSignature, type ParsedJws } from './acme-jws.js';
import { AcmeProblem } from './acme-problem.js';
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
/** Objects one server keeps at most (accounts, orders): a stranger cannot fill the memory. */
export const MAX_OBJECTS = 10_000;
/** How long an order and its challenge stay answerable. */
export const ORDER_LIFETIME_MS = 24 * 3_600_000;
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
  log?: (line: string) => void;
}

type Status = 'pending' | 'processing' | 'ready' | 'valid' | 'invalid';

interface Account { id: string; key: KeyObject; jwk: JsonWebKey; thumbprint: string; contact: string[] }
interface Challenge { id: string; status: Status; tokenPart1: string; tokenPart2: string; validated?: string; error?: AcmeProblem }
interface Authorization { id: string; accountId: string; email: string; status: Status; expires: Date; challenge: Challenge }
interface Order { id: string; accountId: string; status: Status; expires: Date; email: string; template: CertificateTemplate; authzId: string; certificateId?: string; error?: AcmeProblem }

export interface RunningAcmeServer {
  url: string;
  directoryUrl: string;
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

class AcmeState {
  readonly nonces = new Set<string>();
  readonly accounts = new Map<string, Account>();
  readonly accountByThumbprint = new Map<string, string>();
  readonly orders = new Map<string, Order>();
  readonly authorizations = new Map<string, Authorization>();
  readonly challenges = new Map<string, Authorization>();
  readonly certificates = new Map<string, string>();

  newNonce(): string {
    const nonce = base64url(randomBytes(16));
    this.nonces.add(nonce);
    if (this.nonces.size > MAX_NONCES) this.nonces.delete(this.nonces.values().next().value!);
    return nonce;
  }

  /** Each nonce is good for one request (RFC 8555 §6.5): a replayed or invented one is refused. */
  consumeNonce(nonce: string): void {
    if (!this.nonces.delete(nonce)) throw new AcmeProblem('badNonce', 'the nonce was not issued by this server or was already used (a replayed request); get a fresh one');
  }

  checkRoom(map: Map<string, unknown>): void {
    if (map.size >= MAX_OBJECTS) throw new AcmeProblem('serverInternal', 'the ACME server holds as many objects as it may; try later');
  }
}

export async function startAcmeServer(options: AcmeServerOptions): Promise<RunningAcmeServer> {
  const state = new AcmeState();
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

  function orderJson(order: Order): Record<string, unknown> {
    return {
      status: order.status,
      expires: order.expires.toISOString(),
      identifiers: [{ type: 'email', value: order.email }],
      profile: order.template.name,
      authorizations: [url(`authz/${order.authzId}`)],
      finalize: url(`order/${order.id}/finalize`),
      ...(order.certificateId ? { certificate: url(`cert/${order.certificateId}`) } : {}),
      ...(order.error ? { error: order.error.toJSON() } : {}),
    };
  }

  function challengeJson(authz: Authorization): Record<string, unknown> {
    const c = authz.challenge;
    return {
      type: CHALLENGE_TYPE,
      url: url(`chall/${c.id}`),
      status: c.status,
      // RFC 8823 §3.1: the challenge object carries token-part2; token-part1 is in the mail's subject.
      token: c.tokenPart2,
      from: options.mail.from,
      ...(c.validated ? { validated: c.validated } : {}),
      ...(c.error ? { error: c.error.toJSON() } : {}),
    };
  }

  function authzJson(authz: Authorization): Record<string, unknown> {
    return { identifier: { type: 'email', value: authz.email }, status: authz.status, expires: authz.expires.toISOString(), challenges: [challengeJson(authz)] };
  }

  /** Parses and checks a POST's JWS; returns the account (undefined for newAccount) and the payload. */
  function authenticate(body: string, requestUrl: string, newAccount: boolean): { jws: ParsedJws; account?: Account; key: KeyObject } {
    const jws = parseJws(body);
    state.consumeNonce(jws.header.nonce);
    if (jws.header.url !== requestUrl) throw new AcmeProblem('unauthorized', `the JWS "url" (${jws.header.url}) is not the URL the request was sent to (${requestUrl})`);
    if (newAccount) {
      if (!jws.header.jwk) throw new AcmeProblem('malformed', 'newAccount is signed with the new account key, given as "jwk" (not "kid")');
      const key = publicKeyOfJwk(jws.header.jwk, jws.header.alg);
      verifyJwsSignature(jws, key);
      return { jws, key };
    }
    if (!jws.header.kid) throw new AcmeProblem('malformed', 'this request must name its account with "kid" (a "jwk" is for newAccount only)');
    const prefix = url('account/');
    const account = jws.header.kid.startsWith(prefix) ? state.accounts.get(jws.header.kid.slice(prefix.length)) : undefined;
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

  function owned<T extends { accountId: string }>(item: T | undefined, account: Account, what: string): T {
    if (!item || item.accountId !== account.id) throw new AcmeProblem('unauthorized', `no such ${what} for this account`);
    return item;
  }

  function expireIfDue(order: Order, authz: Authorization): void {
    if (Date.now() > order.expires.getTime() && order.status !== 'valid') {
      order.status = 'invalid';
      if (authz.status !== 'valid') authz.status = 'invalid';
    }
  }

  async function newOrder(account: Account, payload: Record<string, unknown>): Promise<Order> {
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
    state.checkRoom(state.orders);
    const pending = [...state.orders.values()].filter((o) => o.accountId === account.id && o.status === 'pending').length;
    if (pending >= MAX_PENDING_ORDERS_PER_ACCOUNT) throw new AcmeProblem('rateLimited', `this account has ${pending} orders waiting for their challenge; answer or let them expire first`);
    const expires = new Date(Date.now() + ORDER_LIFETIME_MS);
    const { tokenPart1, tokenPart2 } = newTokenParts();
    const authz: Authorization = { id: newId(), accountId: account.id, email, status: 'pending', expires, challenge: { id: newId(), status: 'pending', tokenPart1, tokenPart2 } };
    const order: Order = { id: newId(), accountId: account.id, status: 'pending', expires, email, template, authzId: authz.id };
    // The challenge mail goes out first: an order whose mail could not be sent is not kept.
    const mail = buildChallengeMail({ from: options.mail.from, to: email, tokenPart1 });
    const message = options.challengeSigner
      ? await collectBytes(signMessage(toByteStream(mail.message), { mode: 'detached', signers: [options.challengeSigner] }))
      : mail.message;
    await options.mail.send(email, message);
    state.authorizations.set(authz.id, authz);
    state.challenges.set(authz.challenge.id, authz);
    state.orders.set(order.id, order);
    log(`order ${order.id} for ${email} (${template.name}); challenge mailed`);
    return order;
  }

  function ordersOf(authz: Authorization): Order[] {
    return [...state.orders.values()].filter((o) => o.authzId === authz.id);
  }

  function fail(authz: Authorization, problem: AcmeProblem): void {
    authz.challenge.status = 'invalid';
    authz.challenge.error = problem;
    authz.status = 'invalid';
    for (const order of ordersOf(authz)) {
      order.status = 'invalid';
      order.error = problem;
    }
    log(`challenge for ${authz.email} failed: ${problem.message}`);
  }

  /** Looks for the reply in the CA's mailbox; a challenge is answered by the first reply naming its token-part1. */
  async function tryValidate(authz: Authorization): Promise<void> {
    const challenge = authz.challenge;
    if (challenge.status !== 'processing') return;
    const account = state.accounts.get(authz.accountId)!;
    const replies = (await options.mail.replies()).slice(-MAX_REPLIES_SCANNED);
    const digest = responseDigest(keyAuthorization(challenge.tokenPart1, challenge.tokenPart2, account.thumbprint));
    for (const raw of replies) {
      if (tokenPart1OfSubject(headerFieldOf(raw, 'subject')) !== challenge.tokenPart1) continue;
      let authenticatedBy: string;
      try {
        authenticatedBy = await checkReply(raw, { email: authz.email, tokenPart1: challenge.tokenPart1, digest }, options.validator, dkimResolver);
      } catch (error) {
        fail(authz, error instanceof AcmeProblem ? error : new AcmeProblem('incorrectResponse', `the reply could not be read: ${(error as Error).message}`));
        return;
      }
      challenge.status = 'valid';
      challenge.validated = new Date().toISOString();
      authz.status = 'valid';
      for (const order of ordersOf(authz)) if (order.status === 'pending') order.status = 'ready';
      await options.store.audit.append({ who: `acme account ${url(`account/${account.id}`)}`, action: 'acme-order', email: authz.email, details: { challenge: CHALLENGE_TYPE, validated: challenge.validated, authenticatedBy } });
      log(`mailbox ${authz.email} validated (${CHALLENGE_TYPE}, reply authenticated by ${authenticatedBy})`);
      return;
    }
  }

  async function finalize(order: Order, account: Account, payload: Record<string, unknown>): Promise<void> {
    if (order.status !== 'ready') throw new AcmeProblem('orderNotReady', `the order is ${order.status}, not ready: its mailbox must be validated first`);
    if (typeof payload.csr !== 'string') throw new AcmeProblem('malformed', 'finalize needs "csr", a base64url PKCS#10 request');
    const der = Buffer.from(payload.csr, 'base64url');
    let accepted;
    try {
      accepted = await acceptRequest(Buffer.from(pemEncode(der, 'CERTIFICATE REQUEST')), order.template, order.email);
    } catch (error) {
      if (isCachetError(error)) throw new AcmeProblem('badCSR', error.message);
      throw error;
    }
    order.status = 'processing';
    try {
      const issued = await issueCertificate(options.store, options.issuer, {
        template: order.template,
        spki: accepted.spki,
        email: order.email,
        actor: `acme account ${url(`account/${account.id}`)}`,
        deliveredVia: 'ACME (RFC 8823): the requester holds the key',
      });
      const chain = [issued.certificate, ...(await options.store.chain())].map((c) => pemEncode(c, 'CERTIFICATE')).join('');
      const certificateId = newId();
      state.certificates.set(certificateId, chain);
      order.certificateId = certificateId;
      order.status = 'valid';
      log(`issued ${issued.entry.template} certificate ${issued.entry.serial} for ${order.email}`);
    } catch (error) {
      order.status = 'invalid';
      order.error = isCachetError(error) ? new AcmeProblem('badCSR', error.message) : new AcmeProblem('serverInternal', 'the certificate could not be issued');
      throw order.error;
    }
  }

  async function handlePost(path: string, requestUrl: string, body: string, response: ServerResponse): Promise<void> {
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => send(response, status, JSON.stringify(value), 'application/json', headers);
    if (path === 'new-account') {
      const { jws, key } = authenticate(body, requestUrl, true);
      const payload = payloadObject(jws);
      const jwk = publicJwkOf(key);
      const thumbprint = jwkThumbprint(jwk);
      const existing = state.accountByThumbprint.get(thumbprint);
      if (existing) return json(200, accountJson(state.accounts.get(existing)!), { Location: url(`account/${existing}`) });
      if (payload.onlyReturnExisting === true) throw new AcmeProblem('accountDoesNotExist', 'no account exists with this key');
      const contact = Array.isArray(payload.contact) ? payload.contact.map(String).slice(0, 4) : [];
      state.checkRoom(state.accounts);
      const account: Account = { id: newId(), key, jwk, thumbprint, contact };
      state.accounts.set(account.id, account);
      state.accountByThumbprint.set(thumbprint, account.id);
      log(`account ${account.id} created`);
      return json(201, accountJson(account), { Location: url(`account/${account.id}`) });
    }
    const { jws, account } = authenticate(body, requestUrl, false);
    const payload = payloadObject(jws);
    const [kind, id, action] = path.split('/');
    if (kind === 'account' && id === account!.id && action === undefined) return json(200, accountJson(account!));
    if (path === 'new-order') {
      const order = await newOrder(account!, payload);
      return json(201, orderJson(order), { Location: url(`order/${order.id}`) });
    }
    if (kind === 'order') {
      const order = owned(state.orders.get(id ?? ''), account!, 'order');
      const authz = state.authorizations.get(order.authzId)!;
      expireIfDue(order, authz);
      if (action === 'finalize') await finalize(order, account!, payload);
      else if (action !== undefined) throw new AcmeProblem('malformed', `no such resource ${path}`);
      return json(200, orderJson(order), { Location: url(`order/${order.id}`) });
    }
    if (kind === 'authz') {
      const authz = owned(state.authorizations.get(id ?? ''), account!, 'authorization');
      await tryValidate(authz);
      return json(200, authzJson(authz));
    }
    if (kind === 'chall') {
      const authz = owned(state.challenges.get(id ?? ''), account!, 'challenge');
      // A POST with {} says "the reply was sent" (RFC 8555 §7.5.1); POST-as-GET only asks.
      if (jws.payload !== '' && authz.challenge.status === 'pending') authz.challenge.status = 'processing';
      await tryValidate(authz);
      return json(200, challengeJson(authz), { Link: `<${url(`authz/${authz.id}`)}>;rel="up"` });
    }
    if (kind === 'cert') {
      const chain = state.certificates.get(id ?? '');
      const order = [...state.orders.values()].find((o) => o.certificateId === id);
      if (!chain || !order || order.accountId !== account!.id) throw new AcmeProblem('unauthorized', 'no such certificate for this account');
      return send(response, 200, chain, 'application/pem-certificate-chain');
    }
    throw new AcmeProblem('malformed', `no such resource ${path}`);
  }

  function send(response: ServerResponse, status: number, body: string, type: string, headers: Record<string, string> = {}): void {
    response.writeHead(status, {
      'Content-Type': type,
      'Replay-Nonce': state.newNonce(),
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
      response.writeHead(request.method === 'HEAD' ? 200 : 204, { 'Replay-Nonce': state.newNonce(), 'Cache-Control': 'no-store', Link: `<${url('directory')}>;rel="index"` });
      response.end();
      return;
    }
    if (request.method !== 'POST') throw new AcmeProblem('malformed', `${request.method} is not allowed here: ACME requests are JWS POSTs (RFC 8555 §6.2)`);
    if (!/^application\/jose\+json\b/i.test(request.headers['content-type'] ?? '')) throw new AcmeProblem('malformed', 'an ACME POST has Content-Type application/jose+json');
    const body = await readBody(request, MAX_ACME_REQUEST_BYTES);
    await handlePost(route, `${base}${path}`, body, response);
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const problem = error instanceof AcmeProblem ? error : new AcmeProblem('serverInternal', 'the server failed to answer this request');
      if (!(error instanceof AcmeProblem)) log(`internal error: ${(error as Error).stack ?? String(error)}`);
      if (response.headersSent) return void response.end();
      send(response, problem.status, JSON.stringify(problem.toJSON()), 'application/problem+json');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new CachetError(
      'ERR_USAGE', error.code === 'EADDRINUSE' ? `port ${options.port} is already in use` : `cannot listen on ${host}:${options.port}: ${error.message}`, { cause: error })));
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  base = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  return {
    url: base,
    directoryUrl: url('directory'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

