/**
 * Cachet's error catalogue: every failure a user or a caller can meet has one stable code here.
 *
 * Codes are a contract: `--json` output, the CLI's exit status and the web API all derive from them,
 * so a code is never renamed; new ones are appended to their group. The subject of an error (a
 * mailbox, a fingerprint, a server reply) travels on the error as `details`, and causes chain through
 * the standard `{ cause }`.
 */

/** What each exit status of the CLI means: the help text and the README show this legend. */
export const EXIT_STATUSES = {
  0: 'ok',
  1: 'negative verdict or failure',
  2: 'usage',
  3: 'file I/O',
  4: 'password or PIN',
  5: 'trust',
  6: 'server unreachable',
  7: 'refused by policy',
  70: 'internal error (a bug in Cachet)',
  141: 'the output pipe was closed early (128 + SIGPIPE)',
} as const;

export type ExitStatus = keyof typeof EXIT_STATUSES;

/** The HTTP statuses an error answer may carry. */
export type ErrorHttpStatus = 400 | 401 | 403 | 404 | 409 | 413 | 423 | 429 | 500 | 502 | 503;

interface ErrorRow {
  exit: ExitStatus;
  http: ErrorHttpStatus;
  summary: string;
}

/**
 * One row per code: the CLI's exit status, the HTTP status of the web client and the vault service,
 * and the summary a message of that code elaborates (the default message). Exit statuses mean what
 * EXIT_STATUSES says.
 */
export const ERROR_TABLE = {
  // usage and input
  ERR_USAGE: { exit: 2, http: 400, summary: 'the command line or a call was malformed' },
  ERR_INPUT_READ: { exit: 3, http: 400, summary: 'an input file could not be read' },
  ERR_OUTPUT_WRITE: { exit: 3, http: 400, summary: 'an output could not be written (disk full, permission, …)' },
  ERR_OUTPUT_CLOSED: { exit: 141, http: 400, summary: 'the reader of the output went away before it was all written (a pipe closed early, as by head)' },
  ERR_PASSWORD_REQUIRED: { exit: 4, http: 400, summary: 'a password or PIN is needed and none was given' },
  ERR_NOT_IMPLEMENTED: { exit: 1, http: 400, summary: 'this feature is not available in this build' },
  ERR_LIMIT_EXCEEDED: { exit: 1, http: 413, summary: 'an input exceeded a safety limit (size, depth, iteration count)' },
  ERR_INTERNAL: { exit: 70, http: 500, summary: 'an internal error (a bug in Cachet)' },

  // MIME
  ERR_MIME_MALFORMED: { exit: 1, http: 400, summary: 'the message is not well-formed MIME' },
  ERR_MIME_NOT_SMIME: { exit: 1, http: 400, summary: 'the message carries no S/MIME content' },

  // ASN.1 / CMS
  ERR_ASN1_MALFORMED: { exit: 1, http: 400, summary: 'the data is not valid DER/BER' },
  ERR_CMS_MALFORMED: { exit: 1, http: 400, summary: 'the CMS structure is malformed or truncated' },
  ERR_CMS_UNSUPPORTED: { exit: 1, http: 400, summary: 'the CMS content type or version is not supported' },
  ERR_UNSUPPORTED_ALGORITHM: { exit: 1, http: 400, summary: 'an algorithm is not supported' },
  ERR_WEAK_ALGORITHM: { exit: 1, http: 400, summary: 'an algorithm is too weak to be used for this' },

  // signatures
  ERR_SIGNATURE_INVALID: { exit: 1, http: 400, summary: 'a signature does not verify' },
  ERR_DIGEST_MISMATCH: { exit: 1, http: 400, summary: 'the content does not match the signed digest' },
  ERR_SIGNER_CERT_MISSING: { exit: 1, http: 400, summary: "the signer's certificate is not in the message or the store" },
  ERR_NOT_SIGNED: { exit: 1, http: 400, summary: 'the message is not signed' },
  ERR_CONTENT_MISSING: { exit: 1, http: 400, summary: 'a detached signature needs its content' },
  ERR_NO_SIGNERS: { exit: 1, http: 400, summary: 'the signed data carries no SignerInfo: nobody signed it' },

  // encryption
  ERR_NO_RECIPIENTS: { exit: 1, http: 400, summary: 'no recipient to encrypt to' },
  ERR_RECIPIENT_KEY_UNSUITABLE: { exit: 1, http: 400, summary: "a recipient's certificate cannot be used for encryption" },
  ERR_NOT_A_RECIPIENT: { exit: 1, http: 400, summary: 'none of the given keys is a recipient of this message' },
  ERR_DECRYPT_FAILED: { exit: 1, http: 400, summary: 'the message could not be decrypted (wrong key or damaged content)' },
  ERR_AUTH_TAG_INVALID: { exit: 1, http: 400, summary: 'the encrypted content failed its integrity check' },
  ERR_NOT_ENCRYPTED: { exit: 1, http: 400, summary: 'the message is not encrypted' },

  // certificates and keys
  ERR_CERT_MALFORMED: { exit: 1, http: 400, summary: 'a certificate could not be read' },
  ERR_CERT_NOT_FOUND: { exit: 1, http: 404, summary: 'no certificate was found' },
  ERR_CERT_ROLE_AMBIGUOUS: { exit: 1, http: 400, summary: 'a dual-purpose certificate needs the user to choose its role' },
  ERR_CERT_ROLE_UNUSABLE: { exit: 1, http: 400, summary: 'the certificate cannot be used for S/MIME' },
  ERR_CERT_EXISTS: { exit: 1, http: 409, summary: 'a certificate already holds that role' },
  ERR_KEY_MISMATCH: { exit: 1, http: 400, summary: 'the private key does not belong to the certificate' },
  ERR_KEY_NOT_FOUND: { exit: 1, http: 400, summary: 'no private key is available for this operation' },
  ERR_KEY_TOO_SMALL: { exit: 1, http: 400, summary: 'the key is smaller than the allowed minimum' },
  ERR_PKCS12_BAD_PASSWORD: { exit: 4, http: 400, summary: 'the PKCS#12 password is wrong' },
  ERR_PKCS12_MALFORMED: { exit: 1, http: 400, summary: 'the PKCS#12 file is damaged or not a PKCS#12 file' },
  ERR_PKCS12_NO_KEY: { exit: 1, http: 400, summary: 'the PKCS#12 file holds no private key' },

  // trust and validation
  ERR_CHAIN_UNTRUSTED: { exit: 5, http: 400, summary: 'the certificate does not chain to a trusted anchor' },
  ERR_CHAIN_INCOMPLETE: { exit: 5, http: 400, summary: 'an issuer certificate is missing' },
  ERR_CHAIN_TOO_LONG: { exit: 5, http: 400, summary: 'the certificate chain is longer than the allowed depth' },
  ERR_CERT_EXPIRED: { exit: 5, http: 400, summary: 'a certificate has expired' },
  ERR_CERT_NOT_YET_VALID: { exit: 5, http: 400, summary: 'a certificate is not yet valid' },
  ERR_CERT_REVOKED: { exit: 5, http: 400, summary: 'a certificate has been revoked' },
  ERR_CERT_USAGE: { exit: 5, http: 400, summary: 'a certificate is not allowed for this use' },
  ERR_REVOCATION_UNKNOWN: { exit: 5, http: 400, summary: 'revocation status could not be determined' },
  ERR_ADDRESS_MISMATCH: { exit: 5, http: 400, summary: "the signer's address does not match the sender" },
  ERR_TRUST_STORE: { exit: 1, http: 400, summary: 'the trust store could not be read or changed' },

  // vault and tokens
  ERR_VAULT_NOT_FOUND: { exit: 1, http: 400, summary: 'no vault exists yet' },
  ERR_VAULT_EXISTS: { exit: 1, http: 400, summary: 'a vault already exists' },
  ERR_VAULT_LOCKED: { exit: 1, http: 423, summary: 'the vault is locked' },
  ERR_VAULT_BAD_PASSPHRASE: { exit: 4, http: 400, summary: 'the vault passphrase is wrong' },
  ERR_VAULT_CORRUPT: { exit: 1, http: 400, summary: 'the vault is damaged or has been tampered with' },
  ERR_VAULT_ACCESS_DENIED: { exit: 7, http: 403, summary: 'this app is not enrolled, or has been revoked' },
  ERR_VAULT_UNREACHABLE: { exit: 6, http: 502, summary: 'the vault service is not running or cannot be reached' },
  ERR_TOKEN_ABSENT: { exit: 1, http: 400, summary: 'the token is not present' },
  ERR_TOKEN_PIN_INCORRECT: { exit: 4, http: 400, summary: 'the token PIN is wrong' },
  ERR_TOKEN_PIN_LOCKED: { exit: 4, http: 400, summary: 'the token PIN is locked' },
  ERR_TOKEN_FAILURE: { exit: 1, http: 400, summary: 'the token reported an error' },
  ERR_SOURCE_EMPTY: { exit: 1, http: 400, summary: 'the configured certificate source holds no credentials' },
  ERR_VAULT_SERVICE_RUNNING: { exit: 1, http: 400, summary: 'a vault service is already running for this home' },

  // directory and address book
  ERR_DIRECTORY_UNREACHABLE: { exit: 6, http: 502, summary: 'the directory server cannot be reached' },
  ERR_DIRECTORY_AUTH: { exit: 1, http: 400, summary: 'the directory refused the credentials' },
  ERR_DIRECTORY_FAILURE: { exit: 1, http: 400, summary: 'the directory returned an error' },
  ERR_RECIPIENT_CERT_MISSING: { exit: 7, http: 400, summary: 'a recipient has no usable encryption certificate' },
  ERR_KEY_CHANGED: { exit: 1, http: 400, summary: "a correspondent's certificate has changed" },

  // policy and settings
  ERR_POLICY_INVALID: { exit: 2, http: 400, summary: 'a policy or setting has an unknown key or a bad value' },
  ERR_POLICY_FORBIDS: { exit: 7, http: 403, summary: 'the policy forbids this' },
  ERR_SMIME_DISABLED: { exit: 7, http: 400, summary: 'S/MIME is not enabled' },

  // mail transport and storage
  ERR_MAIL_UNREACHABLE: { exit: 6, http: 502, summary: 'the mail server cannot be reached' },
  ERR_MAIL_AUTH: { exit: 1, http: 400, summary: 'the mail server refused the credentials' },
  ERR_MAIL_SEND_FAILED: { exit: 1, http: 400, summary: 'the message could not be sent; it stays in the outbox' },
  ERR_MAIL_NOT_FOUND: { exit: 1, http: 404, summary: 'no such message' },
  ERR_MAIL_CONNECTION_LOST: { exit: 6, http: 502, summary: 'the connection to the mail server was lost' },
  ERR_DOWNGRADE_REFUSED: { exit: 7, http: 403, summary: 'sending in clear was refused by the group rule' },
  ERR_SESSION_ENDED: { exit: 1, http: 401, summary: 'the session ended (signed out, or idle too long): sign in again' },

  // CA
  ERR_CA_NOT_INITIALISED: { exit: 1, http: 400, summary: 'no CA has been set up' },
  ERR_CA_EXISTS: { exit: 1, http: 400, summary: 'a CA already exists' },
  ERR_CSR_INVALID: { exit: 1, http: 400, summary: 'the certificate request is invalid' },
  ERR_TEMPLATE_UNKNOWN: { exit: 2, http: 400, summary: 'no such certificate template' },
  ERR_ACME: { exit: 1, http: 502, summary: 'the ACME server refused the request, or its challenge was not answered' },
  ERR_CA_AUDIT_BROKEN: { exit: 1, http: 400, summary: "the CA's audit log was edited: its hash chain is broken" },

  // web sign-in and requests (the web front end's own)
  ERR_LOGIN: { exit: 4, http: 401, summary: 'wrong user name or password' },
  ERR_LOGIN_THROTTLED: { exit: 6, http: 429, summary: 'too many failed sign-ins: try again later' },
  ERR_LOGIN_UNAVAILABLE: { exit: 6, http: 503, summary: 'the sign-in service (IMAP server or directory) cannot be asked' },
  ERR_CSRF: { exit: 7, http: 403, summary: 'a cross-site request, or one without the right CSRF token, was refused' },
  ERR_NOT_SIGNED_IN: { exit: 4, http: 401, summary: 'the request needs a signed-in session' },
  ERR_TOO_MANY_STREAMS: { exit: 1, http: 429, summary: 'too many open event streams (browser windows) for one user' },
} as const satisfies Record<string, ErrorRow>;

export type CachetErrorCode = keyof typeof ERROR_TABLE;

/** Each code's summary (ERROR_TABLE's, as a plain map). */
export const ERROR_CODES = Object.fromEntries(Object.entries(ERROR_TABLE).map(([code, row]) => [code, row.summary])) as { readonly [C in CachetErrorCode]: (typeof ERROR_TABLE)[C]['summary'] };

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
    super(message ?? ERROR_TABLE[code].summary, options.cause === undefined ? undefined : { cause: options.cause });
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

/** The CLI's exit status for an error of this code. */
export function exitStatusFor(code: CachetErrorCode): ExitStatus {
  return ERROR_TABLE[code].exit;
}

/** The HTTP status of an error answer of this code (the code carries the meaning; the status helps generic tools). */
export function httpStatusFor(code: CachetErrorCode): ErrorHttpStatus {
  return ERROR_TABLE[code].http;
}

/** The exit statuses as one line of text, from EXIT_STATUSES (the CLI's help; the README says the same). */
export function exitStatusLegend(separator = ' · '): string {
  return Object.entries(EXIT_STATUSES)
    .map(([status, meaning]) => `${status} ${meaning}`)
    .join(separator);
}
