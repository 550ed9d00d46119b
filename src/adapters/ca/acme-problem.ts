/**
 * ACME problem documents (RFC 8555 §6.7, RFC 7807): what the ACME server answers a client that sent
 * something wrong. They are the protocol's typed errors, for a remote client; the CLI's own errors
 * stay CachetErrors.
 */
export type AcmeProblemType =
  | 'malformed' | 'badNonce' | 'badSignatureAlgorithm' | 'badPublicKey' | 'unauthorized' | 'accountDoesNotExist'
  | 'unsupportedIdentifier' | 'rejectedIdentifier' | 'orderNotReady' | 'badCSR' | 'incorrectResponse' | 'rateLimited' | 'serverInternal';

/** rateLimited is 403, not 429: clients retry a 429 by re-sending the same JWS, which is then a replay. */
const STATUS: Record<AcmeProblemType, number> = {
  malformed: 400, badNonce: 400, badSignatureAlgorithm: 400, badPublicKey: 400, unauthorized: 403, accountDoesNotExist: 400,
  unsupportedIdentifier: 400, rejectedIdentifier: 400, orderNotReady: 403, badCSR: 400, incorrectResponse: 403, rateLimited: 403, serverInternal: 500,
};

export class AcmeProblem extends Error {
  readonly type: AcmeProblemType;
  readonly extra: Record<string, unknown>;
  constructor(type: AcmeProblemType, detail: string, extra: Record<string, unknown> = {}) {
    super(detail);
    this.name = 'AcmeProblem';
    this.type = type;
    this.extra = extra;
  }

  get status(): number {
    return STATUS[this.type];
  }

  toJSON(): Record<string, unknown> {
    return { type: `urn:ietf:params:acme:error:${this.type}`, detail: this.message, status: this.status, ...this.extra };
  }
}
