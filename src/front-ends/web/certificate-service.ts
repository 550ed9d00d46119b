/**
 * What the web client's Certificates view needs from the use cases: the user's own credentials with
 * their expiry, importing PKCS#12 files (uploaded, or all of one mail's under one password), a
 * password-protected backup, and removal. client-certificate-service.ts implements it on the same use
 * cases as `cachet cert …` and `cachet import-from-mail`.
 */
import type { CertificateDetails, CredentialRoleView, ImportOutcome, SmimeSettingsView } from './mail-service.js';

export interface OwnCredentialView {
  id: string;
  role: CredentialRoleView;
  active: boolean;
  subject: string;
  email: string[];
  issuer: string;
  notAfter: string;
  /** SHA-256, colon-separated hex. */
  fingerprint: string;
  exportable: boolean;
  /** Days left; `expiring` within the policy's renewDaysBefore. */
  expiry: { daysLeft: number; state: 'valid' | 'expiring' | 'expired' };
  /** What removing it costs (a key that decrypts: old mail unreadable), asked before removal; null when nothing. */
  removalWarning: string | null;
  certificate: CertificateDetails;
}

export interface CertificatesView {
  credentials: OwnCredentialView[];
  /** The policy's renewDaysBefore: how early the list and the banner warn. */
  warnDaysBefore: number;
  source: SmimeSettingsView['source'];
  /** Files can be imported, exported and removed here (the vault of the "email" source), not on a token or in the shared vault. */
  manageable: boolean;
  /** Why the keys could not be read (a token not unlocked, a vault service stopped), or null. */
  sourceProblem: string | null;
}

/** One file's outcome, named; `index`: the mail attachment it came from, to answer its question alone. */
export type FileImportOutcome = ImportOutcome & { filename: string; index?: number };

export interface CredentialChoice {
  role?: CredentialRoleView;
  replaceSigning?: boolean;
}

export interface CertificateService {
  list(user: string): Promise<CertificatesView>;
  importFiles(user: string, files: Array<{ filename: string; data: Uint8Array }>, password: string, choice?: CredentialChoice): Promise<FileImportOutcome[]>;
  /** Every .pfx/.p12 of one mail with one password (those that need another say so, one by one). */
  importAllFromMail(user: string, source: { folder: string; id: string }, password: string): Promise<FileImportOutcome[]>;
  exportBackup(user: string, id: string, password: string): Promise<{ filename: string; data: Uint8Array }>;
  /** `confirmed`: the user's yes to removing a key that decrypts (ERR_POLICY_FORBIDS without it). */
  remove(user: string, id: string, confirmed: boolean): Promise<CertificatesView>;
}

/** A mail service that also serves the Certificates view (ClientMailService does). */
export interface WithCertificates {
  readonly certificates?: CertificateService;
}
