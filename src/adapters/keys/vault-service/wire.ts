/**
 * The vault service's protocol: JSON over HTTP/1.1, `POST /v1/<operation>`, the caller's token in
 * `Authorization: Bearer …`. Why HTTP and JSON: node:http speaks it over a Unix socket (`socketPath`)
 * and over TLS alike, gives request/response framing and body limits without a hand-written framing
 * layer, and every message stays readable in a test or a packet capture. Binary fields are base64.
 *
 * What crosses the socket: certificates, roles and ids; data to sign and signatures; wrapped
 * content-encryption keys and the keys they unwrap; ECDH shared secrets. Never a private key.
 */
import { CachetError, ERROR_CODES, type CachetErrorCode } from '../../../errors.js';
import type { DigestAlgorithm, KeyTransportPadding, SignatureScheme } from '../../../engine/keys.js';
import type { CredentialRole, StoredCredential } from '../credential-store.js';

export const PROTOCOL_PREFIX = '/v1/';

/** Operations an enrolled app may ask for. */
export type AppOperation = 'list' | 'sign' | 'decrypt' | 'derive' | 'deposit';
/** Operations of the vault's owner (authenticated by the control token in the endpoint file). */
export type OwnerOperation = 'status' | 'unlock' | 'lock' | 'passphrase';

/** A stored credential as it crosses the socket: DER fields in base64, and nothing about the key. */
export type WireCredential = Omit<StoredCredential, 'certificate' | 'chain' | 'exportable'> & { certificate: string; chain: string[] };

export interface SignRequest {
  id: string;
  data: string;
  scheme: SignatureScheme;
  digest: DigestAlgorithm;
}

type OaepWireHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';
const OAEP_WIRE_HASHES: readonly unknown[] = ['sha1', 'sha256', 'sha384', 'sha512'];

export interface DecryptRequest {
  id: string;
  encryptedKey: string;
  /** 'rsa-oaep' uses MGF1 with `hash`. An MGF1 digest of its own travels as 'rsa-oaep-mgf1', not as an
   *  extra field of 'rsa-oaep': a service older than it would ignore the field and decode with the
   *  wrong MGF1, whereas it refuses an unknown scheme by name. */
  padding:
    | { scheme: 'rsa-pkcs1'; expectedLength: number }
    | { scheme: 'rsa-oaep'; hash: OaepWireHash; label?: string }
    | { scheme: 'rsa-oaep-mgf1'; hash: OaepWireHash; mgf1Hash: OaepWireHash; label?: string };
}

export interface DeriveRequest {
  id: string;
  originatorPublicKeySpki: string;
}

export interface DepositRequest {
  pkcs12: string;
  password: string;
  role?: CredentialRole;
  replaceActive?: boolean;
}

export interface StatusResponse {
  locked: boolean;
  /** Seconds of inactivity after which the service locks itself. */
  idleSeconds: number;
  pid: number;
}

export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
export const unb64 = (text: string) => {
  // Requests are untrusted JSON: a number or an object where base64 belongs is the caller's mistake.
  if (typeof text !== 'string') throw new CachetError('ERR_USAGE', 'the request has a binary field that is not base64 text');
  return new Uint8Array(Buffer.from(text, 'base64'));
};

export function toWireCredential(c: StoredCredential): WireCredential {
  return {
    id: c.id,
    role: c.role,
    active: c.active,
    certificate: b64(c.certificate),
    chain: c.chain.map(b64),
    subject: c.subject,
    email: [...c.email],
    notAfter: c.notAfter,
    addedAt: c.addedAt,
    ...(c.friendlyName !== undefined ? { friendlyName: c.friendlyName } : {}),
  };
}

/** Keys of the shared vault never leave the service: a deposited credential is never exportable. */
export function fromWireCredential(c: WireCredential): StoredCredential {
  return {
    id: c.id,
    role: c.role,
    active: c.active,
    certificate: unb64(c.certificate),
    chain: c.chain.map(unb64),
    subject: c.subject,
    email: [...c.email],
    notAfter: c.notAfter,
    addedAt: c.addedAt,
    exportable: false,
    ...(c.friendlyName !== undefined ? { friendlyName: c.friendlyName } : {}),
  };
}

export function paddingToWire(padding: KeyTransportPadding): DecryptRequest['padding'] {
  if (padding.scheme === 'rsa-pkcs1') return { scheme: 'rsa-pkcs1', expectedLength: padding.expectedLength };
  const label = padding.label ? { label: b64(padding.label) } : {};
  if (padding.mgf1Hash && padding.mgf1Hash !== padding.hash) return { scheme: 'rsa-oaep-mgf1', hash: padding.hash, mgf1Hash: padding.mgf1Hash, ...label };
  return { scheme: 'rsa-oaep', hash: padding.hash, ...label };
}

export function paddingFromWire(padding: DecryptRequest['padding']): KeyTransportPadding {
  if (padding?.scheme === 'rsa-pkcs1' && Number.isInteger(padding.expectedLength) && padding.expectedLength > 0 && padding.expectedLength <= 64) {
    return { scheme: 'rsa-pkcs1', expectedLength: padding.expectedLength };
  }
  // 'rsa-oaep' carrying an MGF1 digest is refused rather than decoded with MGF1-`hash`.
  if (padding?.scheme === 'rsa-oaep' && OAEP_WIRE_HASHES.includes(padding.hash) && !Object.hasOwn(padding, 'mgf1Hash')) {
    return { scheme: 'rsa-oaep', hash: padding.hash, ...(padding.label ? { label: unb64(padding.label) } : {}) };
  }
  if (padding?.scheme === 'rsa-oaep-mgf1' && OAEP_WIRE_HASHES.includes(padding.hash) && OAEP_WIRE_HASHES.includes(padding.mgf1Hash)) {
    return { scheme: 'rsa-oaep', hash: padding.hash, mgf1Hash: padding.mgf1Hash, ...(padding.label ? { label: unb64(padding.label) } : {}) };
  }
  throw new CachetError('ERR_USAGE', 'the decryption request names no known padding');
}

export function errorToWire(error: CachetError): { error: { code: CachetErrorCode; message: string; details?: Record<string, unknown> } } {
  return { error: error.toJSON() };
}

/** Rebuilds the service's error on the app's side; an unknown code is a protocol fault. */
export function errorFromWire(body: unknown): CachetError {
  const error = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })?.error;
  if (error && typeof error.code === 'string' && Object.hasOwn(ERROR_CODES, error.code)) {
    return new CachetError(error.code as CachetErrorCode, error.message, { details: error.details ?? {} });
  }
  return new CachetError('ERR_INTERNAL', 'the vault service gave an answer this version does not understand');
}
