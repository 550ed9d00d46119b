/**
 * Cachet's error catalogue: every failure a user or a caller can meet has one stable code here.
 *
 * Codes are a contract: `--json` output, the CLI's exit status and the web API all derive from them,
 * so a code is never renamed; new ones are appended to their group. The subject of an error (a
 * mailbox, a fingerprint, a server reply) travels on the error as `details`, and causes chain through
 * the standard `{ cause }`.
 */

export const ERROR_CODES = {
  // usage and input
  ERR_USAGE: 'the command line or a call was malformed',
  ERR_INPUT_READ: 'an input file could not be read',
  ERR_OUTPUT_WRITE: 'an output could not be written (disk full, permission, …)',
  ERR_OUTPUT_CLOSED: 'the reader of the output went away before it was all written (a pipe closed early, as by head)',
  ERR_PASSWORD_REQUIRED: 'a password or PIN is needed and none was given',
  ERR_NOT_IMPLEMENTED: 'this feature is not available in this build',
  ERR_LIMIT_EXCEEDED: 'an input exceeded a safety limit (size, depth, iteration count)',
  ERR_INTERNAL: 'an internal error (a bug in Cachet)',

  // MIME
  ERR_MIME_MALFORMED: 'the message is not well-formed MIME',
  ERR_MIME_NOT_SMIME: 'the message carries no S/MIME content',

  // ASN.1 / CMS
  ERR_ASN1_MALFORMED: 'the data is not valid DER/BER',
  ERR_CMS_MALFORMED: 'the CMS structure is malformed or truncated',
  ERR_CMS_UNSUPPORTED: 'the CMS content type or version is not supported',
  ERR_UNSUPPORTED_ALGORITHM: 'an algorithm is not supported',
  ERR_WEAK_ALGORITHM: 'an algorithm is too weak to be used for this',

  // signatures
  ERR_SIGNATURE_INVALID: 'a signature does not verify',
  ERR_DIGEST_MISMATCH: 'the content does not match the signed digest',
  ERR_SIGNER_CERT_MISSING: "the signer's certificate is not in the message or the store",
  ERR_NOT_SIGNED: 'the message is not signed',
  ERR_CONTENT_MISSING: 'a detached signature needs its content',
  ERR_NO_SIGNERS: 'the signed data carries no SignerInfo: nobody signed it',

  // encryption
  ERR_NO_RECIPIENTS: 'no recipient to encrypt to',
  ERR_RECIPIENT_KEY_UNSUITABLE: "a recipient's certificate cannot be used for encryption",
  ERR_NOT_A_RECIPIENT: 'none of the given keys is a recipient of this message',
  ERR_DECRYPT_FAILED: 'the message could not be decrypted (wrong key or damaged content)',
  ERR_AUTH_TAG_INVALID: 'the encrypted content failed its integrity check',
  ERR_NOT_ENCRYPTED: 'the message is not encrypted',

  // certificates and keys
  ERR_CERT_MALFORMED: 'a certificate could not be read',
  ERR_CERT_NOT_FOUND: 'no certificate was found',
  ERR_CERT_ROLE_AMBIGUOUS: 'a dual-purpose certificate needs the user to choose its role',
  ERR_CERT_ROLE_UNUSABLE: 'the certificate cannot be used for S/MIME',
  ERR_CERT_EXISTS: 'a certificate already holds that role',
  ERR_KEY_MISMATCH: 'the private key does not belong to the certificate',
  ERR_KEY_NOT_FOUND: 'no private key is available for this operation',
  ERR_KEY_TOO_SMALL: 'the key is smaller than the allowed minimum',
  ERR_PKCS12_BAD_PASSWORD: 'the PKCS#12 password is wrong',
  ERR_PKCS12_MALFORMED: 'the PKCS#12 file is damaged or not a PKCS#12 file',
  ERR_PKCS12_NO_KEY: 'the PKCS#12 file holds no private key',

  // trust and validation
  ERR_CHAIN_UNTRUSTED: 'the certificate does not chain to a trusted anchor',
  ERR_CHAIN_INCOMPLETE: 'an issuer certificate is missing',
  ERR_CHAIN_TOO_LONG: 'the certificate chain is longer than the allowed depth',
  ERR_CERT_EXPIRED: 'a certificate has expired',
  ERR_CERT_NOT_YET_VALID: 'a certificate is not yet valid',
  ERR_CERT_REVOKED: 'a certificate has been revoked',
  ERR_CERT_USAGE: 'a certificate is not allowed for this use',
  ERR_REVOCATION_UNKNOWN: 'revocation status could not be determined',
  ERR_ADDRESS_MISMATCH: "the signer's address does not match the sender",
  ERR_TRUST_STORE: 'the trust store could not be read or changed',

  // vault and tokens
  ERR_VAULT_NOT_FOUND: 'no vault exists yet',
  ERR_VAULT_EXISTS: 'a vault already exists',
  ERR_VAULT_LOCKED: 'the vault is locked',
  ERR_VAULT_BAD_PASSPHRASE: 'the vault passphrase is wrong',
  ERR_VAULT_CORRUPT: 'the vault is damaged or has been tampered with',
  ERR_VAULT_ACCESS_DENIED: 'this app is not enrolled, or has been revoked',
  ERR_VAULT_UNREACHABLE: 'the vault service is not running or cannot be reached',
  ERR_TOKEN_ABSENT: 'the token is not present',
  ERR_TOKEN_PIN_INCORRECT: 'the token PIN is wrong',
  ERR_TOKEN_PIN_LOCKED: 'the token PIN is locked',
  ERR_TOKEN_FAILURE: 'the token reported an error',
  ERR_SOURCE_EMPTY: 'the configured certificate source holds no credentials',
  ERR_VAULT_SERVICE_RUNNING: 'a vault service is already running for this home',

  // directory and address book
  ERR_DIRECTORY_UNREACHABLE: 'the directory server cannot be reached',
  ERR_DIRECTORY_AUTH: 'the directory refused the credentials',
  ERR_DIRECTORY_FAILURE: 'the directory returned an error',
  ERR_RECIPIENT_CERT_MISSING: 'a recipient has no usable encryption certificate',
  ERR_KEY_CHANGED: "a correspondent's certificate has changed",

  // policy and settings
  ERR_POLICY_INVALID: 'a policy or setting has an unknown key or a bad value',
  ERR_POLICY_FORBIDS: 'the policy forbids this',
  ERR_SMIME_DISABLED: 'S/MIME is not enabled',

  // mail transport and storage
  ERR_MAIL_UNREACHABLE: 'the mail server cannot be reached',
  ERR_MAIL_AUTH: 'the mail server refused the credentials',
  ERR_MAIL_SEND_FAILED: 'the message could not be sent; it stays in the outbox',
  ERR_MAIL_NOT_FOUND: 'no such message',
  ERR_MAIL_CONNECTION_LOST: 'the connection to the mail server was lost',
  ERR_DOWNGRADE_REFUSED: 'sending in clear was refused by the group rule',
  ERR_SESSION_ENDED: 'the session ended (signed out, or idle too long): sign in again',

  // CA
  ERR_CA_NOT_INITIALISED: 'no CA has been set up',
  ERR_CA_EXISTS: 'a CA already exists',
  ERR_CSR_INVALID: 'the certificate request is invalid',
  ERR_TEMPLATE_UNKNOWN: 'no such certificate template',
  ERR_CA_AUDIT_BROKEN: "the CA's audit log was edited: its hash chain is broken",
} as const;

export type CachetErrorCode = keyof typeof ERROR_CODES;

export interface CachetErrorOptions {
  cause?: unknown;
  /** The subject of the error: a mailbox, a fingerprint, a file, a server reply. */
  details?: Record<string, unknown>;
}

/** The one error class that leaves Cachet's modules. `message` is a sentence a user can act on. */
export class CachetError extends Error {
  readonly code: CachetErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: CachetErrorCode, message?: string, options: CachetErrorOptions = {}) {
    super(message ?? ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CachetError';
    this.code = code;
    this.details = options.details ?? {};
  }

  toJSON(): { code: CachetErrorCode; message: string; details?: Record<string, unknown> } {
    return Object.keys(this.details).length > 0
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export function isCachetError(value: unknown, code?: CachetErrorCode): value is CachetError {
  return value instanceof CachetError && (code === undefined || value.code === code);
}

/**
 * Exit statuses of the CLI, by error group, so that scripts can branch without parsing text.
 * 0 success; 1 a verification or decryption verdict was negative; 2 usage; 3 input/output;
 * 4 bad password or PIN; 5 trust; 6 a server was unreachable; 7 policy refused; 70 internal;
 * 141 the output pipe was closed early (128 + SIGPIPE, what a shell reports for `yes | head -1`).
 */
export function exitStatusFor(code: CachetErrorCode): number {
  switch (code) {
    case 'ERR_USAGE':
    case 'ERR_POLICY_INVALID':
    case 'ERR_TEMPLATE_UNKNOWN':
      return 2;
    case 'ERR_INPUT_READ':
    case 'ERR_OUTPUT_WRITE':
      return 3;
    case 'ERR_PASSWORD_REQUIRED':
    case 'ERR_PKCS12_BAD_PASSWORD':
    case 'ERR_VAULT_BAD_PASSPHRASE':
    case 'ERR_TOKEN_PIN_INCORRECT':
    case 'ERR_TOKEN_PIN_LOCKED':
      return 4;
    case 'ERR_CHAIN_UNTRUSTED':
    case 'ERR_CHAIN_INCOMPLETE':
    case 'ERR_CHAIN_TOO_LONG':
    case 'ERR_CERT_EXPIRED':
    case 'ERR_CERT_NOT_YET_VALID':
    case 'ERR_CERT_REVOKED':
    case 'ERR_CERT_USAGE':
    case 'ERR_REVOCATION_UNKNOWN':
    case 'ERR_ADDRESS_MISMATCH':
      return 5;
    case 'ERR_DIRECTORY_UNREACHABLE':
    case 'ERR_MAIL_UNREACHABLE':
    case 'ERR_VAULT_UNREACHABLE':
    case 'ERR_MAIL_CONNECTION_LOST':
      return 6;
    case 'ERR_POLICY_FORBIDS':
    case 'ERR_DOWNGRADE_REFUSED':
    case 'ERR_RECIPIENT_CERT_MISSING':
    case 'ERR_SMIME_DISABLED':
    case 'ERR_VAULT_ACCESS_DENIED':
      return 7;
    case 'ERR_OUTPUT_CLOSED':
      return 141;
    default:
      return 1;
  }
}
