/**
 * What the web front end needs from the mail client's use cases. The web layer only translates HTTP
 * to these calls and their results to JSON; src/front-ends/web/client-mail-service.ts implements it on the same
 * use cases the CLI calls (src/use-cases/*).
 */
import type { MailSession } from '../../use-cases/mail-session.js';

export interface FolderSummary {
  name: string;
  /** What the folder is for (RFC 6154 special use), whatever the server calls it. */
  role?: 'inbox' | 'sent' | 'drafts' | 'trash' | 'junk' | 'archive' | 'outbox' | null;
  total: number;
  unread: number;
}

export interface MessageSummary {
  id: string;
  folder: string;
  from: string;
  to: string[];
  subject: string;
  date: string | null;
  /** What the list may show without opening the message: the outer structure only. */
  encrypted: boolean;
  signed: boolean;
  seen: boolean;
  /** Marked for follow-up. */
  flagged?: boolean;
  /** The conversation it belongs to in this list (References/In-Reply-To): messages with the same id are one thread. */
  threadId?: string;
  size: number;
}

export interface CertificateDetails {
  subject: string;
  issuer: string;
  email: string[];
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  fingerprint: string;
  chain: string[];
  revocation: string;
}

export interface SignerView {
  email: string[];
  subject: string;
  valid: boolean;
  trusted: boolean | null;
  signingTime: string | null;
  /** A sentence for the user when something is wrong. */
  warning: string | null;
  certificate: CertificateDetails | null;
}

export interface AttachmentView {
  index: number;
  filename: string;
  contentType: string;
  size: number;
  /** Whether it looks like a PKCS#12 file the user can import. */
  importable: boolean;
}

export interface MessageView {
  id: string;
  folder: string;
  /** The status vocabulary of `cachet open`. */
  status: 'valid' | 'invalid' | 'untrusted' | 'mismatch' | 'partially-signed' | 'not-signed';
  encrypted: boolean;
  contentEncryption: string | null;
  signers: SignerView[];
  warnings: string[];
  /** `replyTo`: the Reply-To's mailboxes (empty when none), where a reply goes instead of the From. */
  headers: { from: string; to: string[]; cc: string[]; subject: string; date: string | null; replyTo: string[] };
  /** The From mailboxes as parsed for the status (display name decoded after the address was read). */
  fromMailboxes: Array<{ address: string | null; name: string | null; warning: string | null }>;
  /** The From address a valid, trusted signature proves; null unless the status is valid. */
  verifiedSender: string | null;
  /** Header fields shown that the signature does not cover ("subject", "date", …): marked as such. */
  unsignedHeaders: string[];
  /** Decrypted from CBC without integrity and not signed inside: shown as unauthenticated. */
  unauthenticatedEncryption: boolean;
  /** A certs-only message: its certificates are added to the address book only if the user asks. */
  certsOnly: boolean;
  /** Header differences between the protected (inner) and outer headers. */
  headerDifferences: string[];
  /** Plain text body, when there is one. */
  text: string | null;
  /** HTML body, unsanitised: the browser sanitises it and shows it in a sandboxed frame. */
  html: string | null;
  attachments: AttachmentView[];
  /** For partially-signed messages: the parts outside the signature, marked as such. */
  unsignedParts: Array<{ description: string; text: string }>;
  /** Marked for follow-up. */
  flagged?: boolean;
  /** Who "reply" writes to: the Reply-To, else the sender (use-cases/reply-all.ts). */
  reply?: { to: string[]; cc: string[] };
  /** Who "reply all" writes to: the Reply-To (else the sender) and the others, never the user (use-cases/reply-all.ts). */
  replyAll?: { to: string[]; cc: string[] };
  /**
   * What Compose starts with to answer or pass it on: the subjects and quotes the CLI's reply and
   * forward write too (use-cases/reply-all.ts, forward.ts), so both front ends say it one way.
   */
  prefill?: { replySubject: string; forwardSubject: string; replyQuote: string; forwardQuote: string };
}

export interface RecipientStatus {
  address: string;
  /** Whether a usable encryption certificate was found, and where. */
  found: boolean;
  source: 'ldap' | 'addressbook' | 'cache' | null;
  subject: string | null;
  reason: string | null;
  keyChanged: boolean;
  /** The certificates found but refused, each with why (recipients.ts); absent when none was looked at. */
  refused?: Array<{ code: string; reason: string; subject: string; fingerprint: string; source: string }>;
}

export interface OutgoingAttachment {
  filename: string;
  contentType: string;
  data: Uint8Array;
}

export interface Draft {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  body: string;
  sign: boolean;
  encrypt: boolean;
  attachments: OutgoingAttachment[];
  /** The user's answer when the group rule asked: send in clear to everyone. */
  allowUnencrypted?: boolean;
  /** The user's other answer: send it encrypted to those with a certificate, leave the others out. */
  leaveOutMissing?: boolean;
  inReplyTo?: { folder: string; id: string };
  /** A forward: the original attached (message/rfc822) or its attachments carried with the inline quote. */
  forward?: { folder: string; id: string; mode: 'inline' | 'attachment' };
}

/** What the user may answer to the group rule (src/use-cases/send.ts decides which are offered). */
export type GroupRuleChoiceView = 'leave-out' | 'send-unencrypted';

export type SendOutcome =
  /** `leftOut`: the recipients the user chose to leave out for want of a certificate. */
  | { kind: 'sent'; messageId: string; encrypted: boolean; signed: boolean; warnings: string[]; leftOut: RecipientStatus[] }
  /** Not every recipient reached yet: `delivered` got it; `waiting` and `refused` (turned away by their server) stay in the Outbox. */
  | { kind: 'queued'; messageId: string; reason: string; encrypted: boolean; signed: boolean; delivered: string[]; waiting: string[]; refused: Array<{ address: string; reason: string }>; warnings: string[]; leftOut: RecipientStatus[] }
  | { kind: 'needs-decision'; question: string; missing: RecipientStatus[]; choices: GroupRuleChoiceView[] }
  | { kind: 'refused'; code: string; message: string; missing: RecipientStatus[]; choices: GroupRuleChoiceView[] };

export interface SettingView {
  key: string;
  value: unknown;
  origin: 'policy' | 'setting' | 'default';
  locked: boolean;
}

/** signing, encryption, or both: a dual-purpose certificate used for both, as its owner chose. */
export type CredentialRoleView = 'signing' | 'encryption' | 'both';

export interface CredentialView {
  id: string;
  role: CredentialRoleView;
  active: boolean;
  subject: string;
  email: string[];
  notAfter: string;
  certificate: CertificateDetails | null;
}

export interface SmimeSettingsView {
  /** First-launch state from the "enable S/MIME on first launch" policy. */
  firstLaunch: 'enabled' | 'ask-import' | 'disabled';
  settings: SettingView[];
  credentials: CredentialView[];
  /** A directory that answers bound users only, and whether the user's password for it is kept. */
  directory: DirectoryLoginView | null;
  /** Where the user's keys come from (the admin's "S/MIME certificate source"). */
  source: 'email' | 'sharedVault' | 'derivedCredentials';
  /** derivedCredentials: whether the token has been unlocked with its PIN in this session. */
  tokenUnlocked: boolean;
  /** Why the source could not be read (vault service stopped or locked, token absent…), or null. */
  sourceProblem: string | null;
  /** Where Compose's Sign and Encrypt switches start (src/use-cases/send.ts decides, as for the CLI). */
  composeDefaults: { sign: boolean; encrypt: boolean };
}

export interface DirectoryLoginView {
  url: string;
  /** The policy's bind DN (locked), else the user's own from their last login. */
  bindDn: string | null;
  bindDnLocked: boolean;
  loggedIn: boolean;
}

export type ImportOutcome =
  | { kind: 'imported'; role: CredentialRoleView; subject: string; notice: string }
  | { kind: 'choose-role'; subject: string; choices: CredentialRoleView[] }
  /** The file would replace the active signing certificate (a renewal): ask, then send again with replaceSigning. */
  | { kind: 'confirm-replace'; subject: string; role: CredentialRoleView; current: { id: string; subject: string } }
  | { kind: 'failed'; code: string; message: string };

/** A received attachment on its way to the browser: streamed from the opened message, never held whole. */
export interface AttachmentDownload {
  filename: string;
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
  content: ReadableStream<Uint8Array>;
}

export interface WebMailService {
  /** The signed-in user's mail session, for the route modules (routes/) that call the use cases on it directly. */
  mailSession?(user: string): Promise<MailSession>;
  /** Delete, move, archive, flags, search on the server, conversations (below). */
  readonly operations?: MailOperationsService;
  authenticate(user: string, password: string): Promise<boolean>;
  listFolders(user: string): Promise<FolderSummary[]>;
  listMessages(user: string, folder: string, query?: string): Promise<MessageSummary[]>;
  readMessage(user: string, folder: string, id: string): Promise<MessageView>;
  attachment(user: string, folder: string, id: string, index: number): Promise<AttachmentDownload>;
  lookupRecipients(user: string, addresses: string[]): Promise<RecipientStatus[]>;
  send(user: string, draft: Draft): Promise<SendOutcome>;
  smimeSettings(user: string): Promise<SmimeSettingsView>;
  updateSetting(user: string, key: string, value: unknown): Promise<SettingView>;
  effectivePolicy(user: string): Promise<SettingView[]>;
  /** Checks the bind with the directory, then keeps the DN and password in the user's vault. */
  directoryLogin(user: string, login: { bindDn?: string; password: string }): Promise<DirectoryLoginView>;
  directoryLogout(user: string): Promise<DirectoryLoginView | null>;
  /** derivedCredentials: opens the token with its PIN for this session (the PIN is not kept). */
  unlockToken(user: string, pin: string): Promise<SmimeSettingsView>;
  /** Calls `onNewMail` when the user's INBOX changes, until closed (IMAP IDLE, or the Maildir). */
  watchInbox?(user: string, onNewMail: () => void): Promise<{ close(): Promise<void> }>;
  /** The browser session ended: let go of the user's keys (token session, opened vault). */
  endSession(user: string): Promise<void>;
  /** Whether this process holds the user's server side now (a cache of the session, rebuilt by resuming it). */
  holdsSession?(user: string): boolean;
  /** The users whose server side this process holds. */
  heldUsers?(): string[];
  /**
   * Sends again, by itself, what waits in the Outbox of each user this process holds and is due
   * (src/use-cases/outbox.ts retryDueMail): a server that was down gets the mail once it is back.
   */
  retryWaitingMail?(): Promise<void>;
  /** The user's session was last used at `at` (on any instance): the vault's idle lock counts from the latest use. */
  noteUse?(user: string, at: number): void;
  /** The user's explicit "add to address book" for a certs-only message (never done while reading). */
  importCertificates(user: string, source: { folder: string; id: string }): Promise<Array<{ address: string; fingerprint: string; added: boolean; pending: boolean }>>;
  importFromMail(
    user: string,
    source: { folder: string; id: string; index: number },
    password: string,
    choice?: { role?: CredentialRoleView; replaceSigning?: boolean },
  ): Promise<ImportOutcome>;
}

/**
 * The daily mail operations as the web front end calls them: delete (to Trash, with its undo), move,
 * archive, the read and follow-up flags, a search of one folder on the mail server, and a message's
 * conversation. client-mail-operations.ts implements them on src/use-cases/mail-operations.ts.
 */
export type DeleteResult =
  /** `undo`: the move that puts it back (POST …/move with `to: undo.target` on `undo.folder`/`undo.id`). */
  | { kind: 'moved-to-trash'; trash: { folder: string; id: string }; undo: { folder: string; id: string; target: string } }
  | { kind: 'removed' };

export interface SearchCriteria {
  from?: string;
  subject?: string;
  /** ISO dates (YYYY-MM-DD): sent on or after `since`, before `before`. */
  since?: string;
  before?: string;
  hasAttachment?: boolean;
}

export interface MailOperationsService {
  deleteMessage(user: string, folder: string, id: string): Promise<DeleteResult>;
  moveMessage(user: string, folder: string, id: string, target: string): Promise<{ folder: string; id: string }>;
  archiveMessage(user: string, folder: string, id: string): Promise<{ folder: string; id: string }>;
  setFlags(user: string, folder: string, id: string, flags: { seen?: boolean; flagged?: boolean }): Promise<void>;
  /** Newest first, as the folder list shows them. */
  search(user: string, folder: string, criteria: SearchCriteria): Promise<MessageSummary[]>;
  /** Oldest first: the conversation as it went. */
  conversation(user: string, folder: string, id: string): Promise<MessageSummary[]>;
}
