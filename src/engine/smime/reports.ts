/**
 * What verification reports: one SignerReport per signer, one SignedLayerReport per signed layer
 * (STYLE.md: "a verification is a report, not a boolean").
 */
import type { CachetErrorCode } from '../../errors.js';
import type { RevocationReport } from '../pki/validator.js';

export interface ReportError {
  code: CachetErrorCode;
  message: string;
}

export interface EncryptionKeyPreferenceReport {
  source: 'smime' | 'microsoft';
  issuer?: string;
  serialNumber?: string;
  keyIdentifier?: string;
  /** DER of the named certificate when the message carries it. */
  certificate?: Uint8Array;
}

export interface SignerReport {
  /** DER of the signer's certificate, when it was found. */
  certificate?: Uint8Array;
  /** The certificate's subject ("CN=Alice,O=Test"), or a description of the signer identifier. */
  subject: string;
  /** Lower-cased addresses of the certificate (SAN rfc822Name, legacy emailAddress). */
  email: string[];
  /** "sha256", "sha1", … */
  digestAlgorithm: string;
  /** "rsa-pkcs1-sha256", "rsa-pss-sha256", "ecdsa-sha384", "ed25519", "dsa-sha1", … */
  signatureAlgorithm: string;
  /** ISO 8601, from the signingTime attribute; null when absent. */
  signingTime: string | null;
  /** The signature verifies and covers this content (cryptographically; trust is separate). */
  valid: boolean;
  /** The certificate chains to a trusted anchor; null when no validator was given. */
  trusted: boolean | null;
  /** A weak algorithm (SHA-1) was used; policy decides whether that is acceptable. */
  weakAlgorithm: boolean;
  /** Why not valid (or, when valid, why not trusted); null when all is well. */
  error: ReportError | null;
  /** What a reader of a valid signature should know that does not make it invalid. */
  warnings?: string[];
  /** SMIMECapabilities, strongest first as the signer listed them. */
  capabilities: string[];
  encryptionKeyPreference?: EncryptionKeyPreferenceReport;
  /** From the validator: the chain built, end entity first. */
  chain?: Uint8Array[];
  revocation?: RevocationReport;
  /** From the validator: why the chain is not trusted. */
  trustError?: ReportError;
}

export interface SignedLayerReport {
  kind: 'signed';
  form: 'detached' | 'opaque';
  signers: SignerReport[];
  /** Every signature is valid (and there is at least one). */
  valid: boolean;
  /** Every signer is trusted; null when no validator was given. */
  trusted: boolean | null;
  /** DER of every certificate the SignedData carries. */
  certificates: Uint8Array[];
  /** eContentType of the signed content (id-data for mail). */
  contentType?: string;
  /**
   * For multipart/signed: which bytes of the first part verified, 'canonical' (CRLF line ends, RFC
   * 8551 §3.1.1) or 'as-sent' (the bytes exactly as they came, as AS2 gateways sign binary parts);
   * the content released is that form.
   */
  verifiedForm?: 'canonical' | 'as-sent';
  /** Why the layer is invalid when no signer says it (ERR_NO_SIGNERS: its SignerInfos are empty). */
  error?: ReportError;
}

/** One signer as `open` reports it (JSON-ready: its verdict, certificate summary and error). */
export interface SignerSummary {
  email: string[];
  subject: string;
  valid: boolean;
  trusted: boolean | null;
  digest: string;
  signatureAlgorithm: string;
  signingTime: string | null;
  weakAlgorithm: boolean;
  error: { code: string; message: string } | null;
  /** See SignerReport.warnings. */
  warnings?: string[];
}
