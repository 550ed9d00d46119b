/**
 * The JSON Web Signatures an ACME server accepts (RFC 8555 §6.2, RFC 7515 flattened JSON): ES256 and
 * RS256 only (the algorithms every client offers; "none" and MACs are refused), a protected header
 * with `nonce` and `url`, and exactly one of `jwk` (newAccount) or `kid` (every other request).
 * The nonce and url checks are the caller's (acme-server.ts): they need the server's state.
 */
import { createHash, createPublicKey, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';
import { AcmeProblem } from './acme-problem.js';

export type AcmeJwsAlgorithm = 'ES256' | 'RS256';
const ALGORITHMS: ReadonlySet<string> = new Set(['ES256', 'RS256']);

export interface AcmeProtectedHeader {
  alg: AcmeJwsAlgorithm;
  nonce: string;
  url: string;
  jwk?: JsonWebKey;
  kid?: string;
}

export interface ParsedJws {
  header: AcmeProtectedHeader;
  /** The decoded payload; "" for POST-as-GET. */
  payload: string;
  /** The base64url strings as sent, for the signature check. */
  signingInput: string;
  signature: Buffer;
}

export function base64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

function fromBase64url(text: unknown, what: string): Buffer {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) throw new AcmeProblem('malformed', `the JWS ${what} is not base64url`);
  return Buffer.from(text, 'base64url');
}

/** Parses a flattened JWS (RFC 7515 §7.2.2) and its protected header; nothing is trusted yet. */
export function parseJws(body: string): ParsedJws {
  let outer: unknown;
  try {
    outer = JSON.parse(body);
  } catch {
    throw new AcmeProblem('malformed', 'the request body is not JSON');
  }
  if (typeof outer !== 'object' || outer === null) throw new AcmeProblem('malformed', 'the request body is not a JWS object');
  const { protected: protectedB64, payload: payloadB64, signature: signatureB64 } = outer as Record<string, unknown>;
  if ('header' in outer) throw new AcmeProblem('malformed', 'an ACME JWS has no unprotected header (RFC 8555 §6.2)');
  const headerBytes = fromBase64url(protectedB64, 'protected header');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(headerBytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new AcmeProblem('malformed', 'the JWS protected header is not JSON');
  }
  if (typeof header.alg !== 'string' || !ALGORITHMS.has(header.alg)) {
    throw new AcmeProblem('badSignatureAlgorithm', `the JWS algorithm "${String(header.alg)}" is not accepted (ES256 or RS256)`, { algorithms: [...ALGORITHMS] });
  }
  if (typeof header.nonce !== 'string' || header.nonce === '') throw new AcmeProblem('badNonce', 'the JWS protected header has no nonce');
  if (typeof header.url !== 'string') throw new AcmeProblem('malformed', 'the JWS protected header has no url');
  const hasJwk = header.jwk !== undefined;
  const hasKid = header.kid !== undefined;
  if (hasJwk === hasKid) throw new AcmeProblem('malformed', 'the JWS protected header must carry exactly one of "jwk" and "kid"');
  if (hasJwk && (typeof header.jwk !== 'object' || header.jwk === null)) throw new AcmeProblem('malformed', 'the JWS "jwk" is not a JSON object');
  if (hasKid && typeof header.kid !== 'string') throw new AcmeProblem('malformed', 'the JWS "kid" is not a string');
  const payload = fromBase64url(payloadB64, 'payload').toString('utf8');
  return {
    header: header as unknown as AcmeProtectedHeader,
    payload,
    signingInput: `${protectedB64 as string}.${payloadB64 as string}`,
    signature: fromBase64url(signatureB64, 'signature'),
  };
}

/** The account key of a JWK, refusing keys that do not fit the algorithm (an RSA key for ES256 …). */
export function publicKeyOfJwk(jwk: JsonWebKey, alg: AcmeJwsAlgorithm): KeyObject {
  if ('d' in jwk) throw new AcmeProblem('malformed', 'the JWK carries a private key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new AcmeProblem('badPublicKey', 'the JWK is not a public key');
  }
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (alg === 'ES256' && !(type === 'ec' && details.namedCurve === 'prime256v1')) throw new AcmeProblem('badPublicKey', 'ES256 needs a P-256 key');
  if (alg === 'RS256' && !(type === 'rsa' && (details.modulusLength ?? 0) >= 2048)) throw new AcmeProblem('badPublicKey', 'RS256 needs an RSA key of at least 2048 bits');
  return key;
}

/** Checks the JWS signature with the account key. @throws AcmeProblem malformed when it does not verify. */
export function verifyJwsSignature(jws: ParsedJws, key: KeyObject): void {
  const data = Buffer.from(jws.signingInput, 'ascii');
  const ok = jws.header.alg === 'ES256'
    ? jws.signature.length === 64 && verifySignature('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, jws.signature)
    : verifySignature('sha256', data, key, jws.signature);
  if (!ok) throw new AcmeProblem('malformed', 'the JWS signature does not verify with the account key');
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an EC or RSA public key: the required members in order. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const canonical = jwk.kty === 'EC'
    ? JSON.stringify({ crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y })
    : JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n });
  return base64url(createHash('sha256').update(canonical).digest());
}

/** The public members of a key as a JWK (what is stored per account and thumbprinted). */
export function publicJwkOf(key: KeyObject): JsonWebKey {
  const jwk = key.export({ format: 'jwk' });
  return jwk.kty === 'EC' ? { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: 'RSA', n: jwk.n, e: jwk.e };
}
