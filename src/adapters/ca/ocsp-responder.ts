/**
 * An RFC 6960 OCSP responder for the CA, plus the two files its certificates point at: the CRL
 * (`GET /crl`) and the issuer certificate (`GET /ca.crt`, AIA caIssuers). It answers, for every
 * CertID of the issuing CA, `good` (issued and not revoked), `revoked` (with time and reason) or
 * `unknown` (never issued here — RFC 6960 §2.2 forbids "good" for a serial the CA does not know),
 * echoes the request's nonce (RFC 8954 / RFC 6960 §4.4.1), and signs with the CA's own key or a
 * delegated responder certificate (id-kp-OCSPSigning, id-pkix-ocsp-nocheck, RFC 6960 §4.2.2.2).
 * The index is read afresh for each request, so a `cachet ca revoke` from another process shows at once.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  BasicOCSPResponse,
  CertStatus,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
  type CertID,
} from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate, CRLReason, Extension } from '@peculiar/asn1-x509';
import { CachetError } from '../../errors.js';
import type { PrivateKeyHandle } from '../../engine/keys.js';
import { signingProfile } from './ca-signer.js';
import { X509Crl } from '@peculiar/x509';
import { bufferOf, REASON_CODES, type CaStore, type RevocationReason } from './ca-store.js';

/** RFC 6960 requests are small; anything over this is refused before parsing. */
export const MAX_OCSP_REQUEST_BYTES = 16 * 1024;
/** How long a response may be cached (nextUpdate). */
export const OCSP_RESPONSE_VALIDITY_SECONDS = 3600;

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Who signs responses: the issuing CA itself, or a delegated responder it certified. */
export interface ResponderIdentity {
  /** DER of the certificate whose key signs the responses. */
  certificate: Uint8Array;
  key: PrivateKeyHandle;
  /** True for a delegated responder: its certificate travels in each response. */
  delegated: boolean;
}

interface IssuerIdentity {
  nameDer: Buffer;
  /** The subjectPublicKey BIT STRING's value (RFC 6960 §4.1.1 issuerKeyHash input). */
  keyBits: Buffer;
}

/** A certificate's serial as the index spells it: lower-case hex without a leading zero octet. */
function certificateSerialHex(certificateDer: Uint8Array): string {
  const certificate = AsnConvert.parse(certificateDer, Certificate);
  return Buffer.from(certificate.tbsCertificate.serialNumber).toString('hex').replace(/^(00)+(?=[0-9a-f]{2})/, '');
}

function issuerIdentity(certificateDer: Uint8Array): IssuerIdentity {
  const certificate = AsnConvert.parse(certificateDer, Certificate);
  return {
    nameDer: Buffer.from(AsnConvert.serialize(certificate.tbsCertificate.subject)),
    keyBits: Buffer.from(certificate.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey),
  };
}

/** Generalized times without fractions (RFC 5280 §4.1.2.5.2, which RFC 6960 follows). */
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function errorResponse(status: OCSPResponseStatus): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(new OCSPResponse({ responseStatus: status })));
}

export interface OcspAnswerLog {
  serial: string;
  status: 'good' | 'revoked' | 'unknown';
}

/**
 * Answers one DER OCSPRequest with a DER OCSPResponse. Never throws for a bad request: it answers
 * malformedRequest, as RFC 6960 §2.3 asks.
 *
 * With `root` (a CA with an intermediate), CertIDs under the root are answered too: the issuing
 * intermediate is good or revoked (`cachet ca revoke --intermediate`), and those answers are signed
 * by the root, the only key RFC 6960 §4.2.2.2 authorises for them. One response has one signer, so
 * the first CertID decides whose; CertIDs of the other CA in the same request are answered unknown.
 */
export async function answerOcspRequest(store: CaStore, responder: ResponderIdentity, requestDer: Uint8Array, now: Date = new Date(), log?: (answer: OcspAnswerLog) => void, root?: ResponderIdentity): Promise<Uint8Array> {
  let request: OCSPRequest;
  try {
    request = AsnConvert.parse(requestDer, OCSPRequest);
  } catch {
    return errorResponse(OCSPResponseStatus.malformedRequest);
  }
  const settings = await store.settings();
  const issuer = issuerIdentity(await store.issuerCertificate());
  const rootAnswers = root && settings.intermediate ? { identity: issuerIdentity(await store.caCertificate('root')), issuing: await store.caCertificate('issuing') } : undefined;
  const index = await store.index();
  const produced = wholeSeconds(now);
  const responses: SingleResponse[] = [];
  const matches = (identity: IssuerIdentity, certId: CertID, hash: string): boolean =>
    createHash(hash).update(identity.nameDer).digest().equals(Buffer.from(certId.issuerNameHash.buffer))
    && createHash(hash).update(identity.keyBits).digest().equals(Buffer.from(certId.issuerKeyHash.buffer));
  let signer: 'issuing' | 'root' | undefined;
  for (const single of request.tbsRequest.requestList) {
    const certId: CertID = single.reqCert;
    const hash = HASHES[certId.hashAlgorithm.algorithm];
    if (!hash) return errorResponse(OCSPResponseStatus.malformedRequest);
    const serial = Buffer.from(certId.serialNumber).toString('hex').replace(/^(00)+(?=[0-9a-f]{2})/, '');
    const under: 'issuing' | 'root' | undefined = matches(issuer, certId, hash) ? 'issuing' : rootAnswers && matches(rootAnswers.identity, certId, hash) ? 'root' : undefined;
    signer ??= under;
    let state: { status: 'good' } | { status: 'revoked'; at: string | undefined; reason: RevocationReason | undefined } | undefined;
    if (under === 'issuing' && signer === 'issuing') {
      const entry = index.find((e) => e.serial === serial);
      if (entry) state = entry.status === 'revoked' ? { status: 'revoked', at: entry.revokedAt, reason: entry.reason } : { status: 'good' };
    } else if (under === 'root' && signer === 'root' && rootAnswers) {
      if (certificateSerialHex(rootAnswers.issuing) === serial) {
        const revoked = settings.issuingRevocation;
        state = revoked ? { status: 'revoked', at: revoked.revokedAt, reason: revoked.reason } : { status: 'good' };
      }
    }
    let certStatus: CertStatus;
    if (!state) {
      certStatus = new CertStatus({ unknown: null });
      log?.({ serial, status: 'unknown' });
    } else if (state.status === 'revoked') {
      const reason = state.reason && state.reason !== 'unspecified' ? new CRLReason(REASON_CODES[state.reason]) : undefined;
      certStatus = new CertStatus({ revoked: new RevokedInfo({ revocationTime: wholeSeconds(new Date(state.at ?? now)), ...(reason ? { revocationReason: reason } : {}) }) });
      log?.({ serial, status: 'revoked' });
    } else {
      certStatus = new CertStatus({ good: null });
      log?.({ serial, status: 'good' });
    }
    responses.push(new SingleResponse({
      certID: certId,
      certStatus,
      thisUpdate: produced,
      nextUpdate: new Date(produced.getTime() + OCSP_RESPONSE_VALIDITY_SECONDS * 1000),
    }));
  }
  const signing = signer === 'root' && root ? root : responder;
  const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
  const responderKeyBits = issuerIdentity(signing.certificate).keyBits;
  const tbs = new ResponseData({
    // RFC 6960 §4.2.2.3: byKey is the SHA-1 of the responder's public key BIT STRING value.
    responderID: new ResponderID({ byKey: new OctetString(createHash('sha1').update(responderKeyBits).digest()) }),
    producedAt: produced,
    responses,
    ...(nonce ? { responseExtensions: [new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: nonce.extnValue })] } : {}),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const profile = signingProfile(signing.key);
  // The handle returns ECDSA signatures DER-encoded (Ecdsa-Sig-Value), as OCSP carries them.
  const signature = await signing.key.sign(tbsDer, profile.scheme, profile.digest);
  const basic = new BasicOCSPResponse({
    tbsResponseData: tbs,
    // RFC 5754 §3.2: ECDSA AlgorithmIdentifiers have no parameters; RFC 4055 §5: RSA's are NULL.
    signatureAlgorithm: new AlgorithmIdentifier(signing.key.kind === 'rsa' ? { algorithm: profile.signatureOid, parameters: null } : { algorithm: profile.signatureOid }),
    signature: new Uint8Array(signature).buffer,
    ...(signing.delegated ? { certs: [AsnConvert.parse(signing.certificate, Certificate)] } : {}),
  });
  const response = new OCSPResponse({
    responseStatus: OCSPResponseStatus.successful,
    responseBytes: new ResponseBytes({ responseType: id_pkix_ocsp_basic, response: new OctetString(AsnConvert.serialize(basic)) }),
  });
  return new Uint8Array(AsnConvert.serialize(response));
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, status: number, type: string, body: Uint8Array | string): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  response.end(body);
}

export interface RunningResponder {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * Serves OCSP (POST, and GET with the base64 request in the path, RFC 6960 §A.1), the CRL at /crl
 * and the issuer certificate at /ca.crt, on 127.0.0.1 only.
 */
export interface ResponderOptions {
  port: number;
  host?: string;
  log?: (line: string) => void;
  /** The root's key, to answer for the issuing intermediate (a CA with an intermediate only). */
  root?: ResponderIdentity;
  /** Signs a fresh CRL; called when the stored one is missing or within a day of its nextUpdate,
   *  so a responder left running keeps serving a current CRL. */
  refreshCrl?: () => Promise<Uint8Array>;
  /** The same for the root's CRL (/root.crl), signed with the root key. */
  refreshRootCrl?: () => Promise<Uint8Array>;
}

/** The stored CRL, renewed first when it is about to expire (and a signer was given). */
async function currentCrl(store: CaStore, which: 'issuing' | 'root', refresh: ResponderOptions['refreshCrl'], now: Date): Promise<Uint8Array | undefined> {
  const stored = await store.crl(which);
  if (!refresh) return stored;
  if (stored) {
    const nextUpdate = new X509Crl(bufferOf(stored)).nextUpdate;
    if (nextUpdate && nextUpdate.getTime() - now.getTime() > CRL_RENEW_BEFORE_MS) return stored;
  }
  return refresh();
}

const CRL_RENEW_BEFORE_MS = 86_400_000;

export async function startOcspResponder(store: CaStore, responder: ResponderIdentity, options: ResponderOptions): Promise<RunningResponder> {
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      options.log?.(`error: ${(error as Error).message}`);
      if (!response.headersSent) send(response, 500, 'text/plain', 'internal error\n');
    });
  });
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const logAnswer = (a: OcspAnswerLog): void => options.log?.(`ocsp ${a.serial} ${a.status}`);
    if (request.method === 'POST') {
      const body = await readBody(request, MAX_OCSP_REQUEST_BYTES);
      if (!body) return send(response, 413, 'text/plain', 'request too large\n');
      return send(response, 200, 'application/ocsp-response', await answerOcspRequest(store, responder, body, new Date(), logAnswer, options.root));
    }
    if (request.method !== 'GET') return send(response, 405, 'text/plain', 'method not allowed\n');
    if (path === '/root.crl') {
      const crl = (await store.settings()).intermediate ? await currentCrl(store, 'root', options.refreshRootCrl, new Date()) : undefined;
      return crl ? send(response, 200, 'application/pkix-crl', crl) : send(response, 404, 'text/plain', 'this CA has no intermediate, hence no root CRL\n');
    }
    if (path === '/crl' || path.endsWith('.crl')) {
      const crl = await currentCrl(store, 'issuing', options.refreshCrl, new Date());
      return crl ? send(response, 200, 'application/pkix-crl', crl) : send(response, 404, 'text/plain', 'no CRL published yet\n');
    }
    if (path === '/ca.crt') return send(response, 200, 'application/pkix-cert', await store.issuerCertificate());
    if (path === '/root.crt') return send(response, 200, 'application/pkix-cert', await store.caCertificate('root'));
    const encoded = decodeURIComponent(path.replace(/^\/(ocsp\/)?/, ''));
    if (encoded.length > 0 && encoded.length < MAX_OCSP_REQUEST_BYTES) {
      return send(response, 200, 'application/ocsp-response', await answerOcspRequest(store, responder, Buffer.from(encoded, 'base64'), new Date(), logAnswer, options.root));
    }
    return send(response, 404, 'text/plain', 'not found\n');
  }
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new CachetError(
      'ERR_USAGE', error.code === 'EADDRINUSE' ? `port ${options.port} is already in use` : `cannot listen on ${host}:${options.port}: ${error.message}`, { cause: error })));
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
