/**
 * The engine asks whether a certificate can be trusted through this interface; the PKI module
 * implements it (RFC 5280 path validation, trust store, revocation). Keeping it an interface keeps
 * the engine free of storage and network: the caller decides where anchors and CRLs come from.
 */
import type { CachetErrorCode } from '../../errors.js';

export type CertificatePurpose = 'signing' | 'encryption';

export interface ChainValidationRequest {
  /** DER of the end-entity certificate. */
  certificate: Uint8Array;
  /** DER of other certificates that may help build the chain (from the message). */
  intermediates: Uint8Array[];
  purpose: CertificatePurpose;
  /** The validation time ("now", or --at). */
  at: Date;
  /** The signing time claimed by the signature, when there is one: validity is reported at both. */
  signingTime?: Date;
}

export interface RevocationReport {
  /** What was consulted: 'crl' | 'ocsp' | 'none' (not checked: policy off, or no anchor). */
  method: 'crl' | 'ocsp' | 'none';
  status: 'good' | 'revoked' | 'unknown' | 'not-checked';
  revokedAt?: string;
  reason?: string;
  /** Where the answer came from (URL or file), for the report. */
  source?: string;
}

export interface ChainValidationResult {
  trusted: boolean;
  /** DER certificates from the end entity up to the anchor, when a chain was built. */
  chain: Uint8Array[];
  /** Why not trusted: a stable code and a sentence a user can act on. */
  error?: { code: CachetErrorCode; message: string };
  /** Validity of the end-entity certificate at the signing time, when one was given. */
  validAtSigningTime?: boolean;
  revocation?: RevocationReport;
  /** Weaknesses accepted because the policy allows legacy certificates (SHA-1, RSA under 2048 bits, a CA as signer). */
  warnings?: string[];
}

export interface CertificateValidator {
  validate(request: ChainValidationRequest): Promise<ChainValidationResult>;
}
