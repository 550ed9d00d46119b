/**
 * The web client's use cases, on the same client modules as the CLI (src/use-cases/*). A user signs in
 * with their password, which is also the passphrase of their credential vault: the vault is opened
 * on the server for the session and private keys never reach the browser.
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { X509Certificate as PeculiarCertificate } from '@peculiar/x509';
import { describeCertificate } from './certificate-details.js';
import type { ContactSuggestionsView, WithContacts } from './routes/contacts.js';
import { suggestContacts } from '../../use-cases/contacts.js';
import { PROTECTED_SUBJECTS_FILE_NAME, ProtectedSubjectIndex, protectedSubjectKey, withProtectedSubjects } from '../../use-cases/protected-subjects.js';
import type { RecipientLookup } from '../../use-cases/recipients.js';
import { ClientCertificateService, importOutcome } from './client-certificate-service.js';
import { CachetError, isCachetError } from '../../errors.js';
import type { SignerSummary } from '../../engine/smime/reports.js';
import type { CredentialRole } from '../../adapters/keys/credential-store.js';
import { firstLaunchSmimeState } from '../../adapters/keys/key-source.js';
import { POLICY_KEYS, updateSetting, type EffectivePolicy, type EffectiveValue } from '../../adapters/policy/policy.js';
import { directoryLogin, directoryLoginState, directoryLogout } from '../../use-cases/directory-login.js';
import { listFolder, replyContext, type ReplyContext } from '../../use-cases/folder-listing.js';
import { openMailSession, type MailSession } from '../../use-cases/mail-session.js';
import { assertMailImportAllowed, importFromMail, isCredentialFile } from '../../use-cases/import-from-mail.js';
import { readMessage, type ReadOptions, type ReadResult } from '../../use-cases/read.js';
import type { AccountConfig } from '../../adapters/mail/account-config.js';
import { listCredentialsForPage } from './credential-listing.js';
import { importCertificatesFromMessage } from '../../use-cases/import-certificates.js';
import { defaultEncryption, defaultSigning, sendMessage } from '../../use-cases/send.js';
import { forwardedContent, forwardQuote, forwardSubject, forwardText } from '../../use-cases/forward.js';
import { replyQuote, replyRecipients, replySubject } from '../../use-cases/reply-all.js';
import { formatMailbox, parseMailboxes } from '../../engine/mime/addresses.js';
import { ClientMailOperations, summariesOf } from './client-mail-operations.js';
import { findUser, verifyLocalLogin } from '../../use-cases/users.js';
import { retryDueMail } from '../../use-cases/outbox.js';
import type {
  AttachmentDownload,
  DirectoryLoginView,
  Draft,
  FolderSummary,
  GroupRuleChoiceView,
  ImportOutcome,
  MessageSummary,
  MessageView,
  RecipientStatus,
  SendOutcome,
  SettingView,
  SmimeSettingsView,
  WebMailService,
} from './mail-service.js';

/**
 * Where the web client keeps a user's secrets (the directory bind DN and password) under the shared
 * vault source. There the user's credentials.vault belongs to the vault service and is locked with the
 * vault owner's passphrase, which the web sign-in password need not be; this file is opened with the
 * sign-in password instead. Under the other sources the user's own vault keeps them.
 */
const WEB_SECRETS_FILE_NAME = 'web-secrets.vault';

interface Session {
  /** The user's mail session: their policy, keys (opened with their password), account and validator. */
  mail: MailSession;
  /** derivedCredentials: the PIN being tried by "unlock" (never kept afterwards). */
  pin?: string;
  /** When the user last did anything: after `idleMinutes` (the policy's vaultIdleMinutes at sign-in), their keys are let go of. */
  lastUsed: number;
  idleMinutes: number;
  /** The protected Subjects of the encrypted mail they opened, for the lists. */
  subjects: ProtectedSubjectIndex;
}

/** Where the web client tells of trouble no request fails for (a subject not remembered): never message content. */
export type ServiceLog = (event: string, fields: Record<string, unknown>) => void;

const consoleLog: ServiceLog = (event, fields) => console.error(`cachet web: ${event}`, JSON.stringify(fields));

/** A recipient lookup (recipients.ts) as the browser is told it. */
function recipientStatus(lookup: RecipientLookup): RecipientStatus {
  return {
    address: lookup.address,
    found: lookup.certificate !== undefined,
    source: lookup.source === 'ldap-cache' ? 'cache' : lookup.source,
    subject: lookup.certificate ? new PeculiarCertificate(Buffer.from(lookup.certificate)).subject : null,
    reason: lookup.reason,
    keyChanged: lookup.keyChange,
    refused: lookup.refused,
  };
}

export class ClientMailService implements WebMailService, WithContacts {
  private readonly sessions = new Map<string, Session>();
  readonly operations = new ClientMailOperations(
    async (address) => (await this.session(address)).mail,
    async (address) => (await this.session(address)).subjects.subjects(),
  );
  /** The Certificates view, on the same sessions. */
  readonly certificates: ClientCertificateService = new ClientCertificateService(async (address) => (await this.session(address)).mail, () => this.now());

  /**
   * `policyFile`: where the admin's policy is. `cachet server` gives it from its configuration (or
   * null: the home's policy.yaml), never from the environment; `cachet web` defaults to
   * $CACHET_POLICY as the CLI does. The machine's system policy comes first either way.
   */
  constructor(
    private readonly home: string,
    private readonly now: () => number = Date.now,
    private readonly policyFile: string | null | undefined = process.env.CACHET_POLICY,
    private readonly log: ServiceLog = consoleLog,
  ) {}

  /**
   * The signed-in user's session, with the policy and the trust stores read again: one request acts
   * on one version of them (an admin's edit landing half-way applies to the next request).
   */
  private async session(address: string): Promise<Session> {
    const session = this.sessions.get(address);
    if (!session) throw new CachetError('ERR_SESSION_ENDED', 'you are not signed in');
    // The policy's idle lock: an open vault or token must not wait for whoever sits down next.
    if (this.now() - session.lastUsed > session.idleMinutes * 60_000) {
      await this.endSession(address);
      throw new CachetError('ERR_SESSION_ENDED', `your session was locked after ${session.idleMinutes} minutes without use: sign in again`);
    }
    session.lastUsed = this.now();
    await session.mail.refresh();
    return session;
  }

  async mailSession(address: string): Promise<MailSession> {
    return (await this.session(address)).mail;
  }

  async authenticate(address: string, password: string): Promise<boolean> {
    const user = await verifyLocalLogin(this.home, address, password);
    if (!user) return false;
    await this.openSession(user.address, password);
    return true;
  }

  /**
   * Starts the server side of a session for a user whose password was checked elsewhere (`cachet
   * server` signs in with the IMAP server or the directory); `vaultPassphrase` opens their vault.
   * `account`: the organisation's IMAP and SMTP with the user's own mail password (else their
   * account.json, else the local Maildir); the session logs out of IMAP when it ends. `lastUsed`: a
   * session resumed from another instance keeps its idle clock, so the idle lock still applies.
   */
  async openSession(address: string, vaultPassphrase: string, account?: AccountConfig, lastUsed = this.now()): Promise<void> {
    const user = await findUser(this.home, address);
    if (!user) throw new CachetError('ERR_SESSION_ENDED', `there is no user ${address}`);
    const password = vaultPassphrase;
    await this.endSession(user.address);
    const session: Partial<Session> = {};
    const mail = await openMailSession({
      home: this.home,
      user,
      policyFile: this.policyFile ?? undefined,
      // The sign-in password is the passphrase of the user's vault; the PIN only while "unlock" tries it.
      unlock: {
        passphrase: async () => password,
        pin: async () => {
          if (session.pin === undefined) throw new CachetError('ERR_PASSWORD_REQUIRED', 'your keys are on your token: unlock it with its PIN in Settings first');
          return session.pin;
        },
        // Each user's own app token file: the server's environment is not any one user's.
        env: {},
      },
      sharedVaultSecretsFile: WEB_SECRETS_FILE_NAME,
      ...(account ? { account } : {}),
    });
    const subjects = new ProtectedSubjectIndex({
      file: join(user.dir, PROTECTED_SUBJECTS_FILE_NAME),
      owner: user.address,
      vault: (createIfMissing) => mail.secrets(createIfMissing),
      onError: (error) => this.log('protected-subjects-failed', { user: user.address, code: isCachetError(error) ? error.code : 'ERR_INTERNAL', message: (error as Error)?.message }),
    });
    Object.assign(session, { mail, lastUsed, idleMinutes: mail.policy.get('vaultIdleMinutes') as number, subjects });
    this.sessions.set(user.address, session as Session);
  }

  async watchInbox(address: string, onNewMail: () => void): Promise<{ close(): Promise<void> }> {
    const { user } = (await this.session(address)).mail;
    if (!user.mailbox.watch) throw new CachetError('ERR_NOT_IMPLEMENTED', 'this mailbox cannot be watched');
    return user.mailbox.watch('INBOX', onNewMail);
  }

  async listFolders(address: string): Promise<FolderSummary[]> {
    const { mail } = await this.session(address);
    return mail.user.mailbox.folderStatus();
  }

  async listMessages(address: string, folder: string, query?: string): Promise<MessageSummary[]> {
    const { mail, subjects } = await this.session(address);
    const needle = query?.trim().toLowerCase();
    // Encrypted mail the user opened shows its protected Subject (their sealed index), and is found by it.
    const rows = withProtectedSubjects(await listFolder(mail.user.mailbox, folder), await subjects.subjects()).filter((r) => !needle || r.from.toLowerCase().includes(needle) || r.subject.toLowerCase().includes(needle));
    return summariesOf(rows);
  }

  /**
   * Notes an opened encrypted message's protected Subject for the lists, after the reading: its outer
   * Message-ID (what the list knows it by) is read from its header meanwhile. Nothing here can fail
   * or slow the reading; a failure is logged.
   */
  private rememberSubject(session: Session, folder: string, id: string, subject: string): void {
    const key = replyContext(session.mail.user.mailbox, folder, id).then(({ messageId }) => protectedSubjectKey({ messageId, folder, id }));
    session.subjects.remember(key, subject);
  }

  /** Resolves once the user's noted subjects are written (or their failure logged): tests, and the end of a session. */
  async subjectsSettled(address: string): Promise<void> {
    await this.sessions.get(address)?.subjects.settled();
  }

  private async read(mail: MailSession, folder: string, id: string, options: ReadOptions = {}): Promise<ReadResult> {
    return readMessage(folder, id, { user: mail.user, store: () => mail.store(), validator: mail.validator }, options);
  }

  async readMessage(address: string, folder: string, id: string): Promise<MessageView> {
    const session = await this.session(address);
    const { mail } = session;
    const result = await this.read(mail, folder, id);
    const { report } = result;
    if (report.encrypted && report.headers.subject) this.rememberSubject(session, folder, id, report.headers.subject);
    const envelope = report.layers.find((l): l is Extract<typeof l, { kind: 'encrypted' }> => l.kind === 'encrypted');
    // Mailed .pfx files are the "email" source; under a token or the shared vault they are not offered for import.
    const importsFromMail = mail.source === 'email';
    // Never merged: the signed parts' text, and each unsigned part apart (read.ts decides both).
    const text = result.partiallySigned ? result.partiallySigned.signedText : result.text;
    const unsignedParts: MessageView['unsignedParts'] = (result.partiallySigned?.unsignedParts ?? []).map((part) => ({ ...part, text: part.text.slice(0, 20_000) }));
    const signerViews = report.signers.map((s: SignerSummary, index) => {
      const details = result.signerDetails[index];
      return {
        email: s.email,
        subject: s.subject,
        valid: s.valid,
        trusted: s.trusted,
        signingTime: s.signingTime,
        warning: s.error?.message ?? (s.weakAlgorithm ? `signed with a weak algorithm (${s.digest})` : null),
        certificate: details?.certificate ? describeCertificate(details.certificate, (details.chain ?? []).slice(1), details.revocation ?? 'not checked') : null,
      };
    });
    return {
      id,
      folder,
      status: report.status,
      encrypted: report.encrypted,
      contentEncryption: envelope?.contentEncryption ?? null,
      signers: signerViews,
      warnings: report.warnings,
      headers: {
        from: report.headers.from ?? '',
        to: (report.headers.to ?? '').split(',').map((a) => a.trim()).filter(Boolean),
        cc: (report.headers.cc ?? '').split(',').map((a) => a.trim()).filter(Boolean),
        subject: report.headers.subject ?? '',
        date: report.headers.date,
        // Where a reply goes (reply-all.ts), shown so that a reply elsewhere than the From is no surprise.
        replyTo: parseMailboxes(report.headers.replyTo ?? '').map(formatMailbox),
      },
      fromMailboxes: report.headers.fromMailboxes.map((m) => ({
        address: m.address ?? null,
        name: m.name,
        warning: m.nameWarning === 'looks-like-another-address' ? 'this name looks like another address' : m.nameWarning === 'bidi-controls' ? 'this name holds characters that reorder text' : m.address === undefined ? 'this address cannot be read' : null,
      })),
      verifiedSender: report.status === 'valid' && report.from.length === 1 ? report.from[0]! : null,
      unsignedHeaders: report.unsignedHeaders,
      unauthenticatedEncryption: report.unauthenticatedEncryption,
      certsOnly: report.layers.some((l) => l.kind === 'certs-only'),
      headerDifferences: report.headers.differences.map((d) => `the ${d.field} was changed outside the signature: it says "${d.outer ?? ''}", the signed one "${d.protected ?? ''}" is shown`),
      text,
      html: report.status === 'partially-signed' ? null : result.html,
      attachments: result.attachments.map((a) => ({ index: a.index, filename: a.filename, contentType: a.contentType, size: a.size, importable: importsFromMail && isCredentialFile(a.filename, a.contentType) })),
      unsignedParts,
      reply: replyRecipients(report.headers, [mail.user.address], { all: false }),
      replyAll: replyRecipients(report.headers, [mail.user.address], { all: true }),
      prefill: { replySubject: replySubject(report.headers.subject), forwardSubject: forwardSubject(report.headers.subject ?? ''), replyQuote: replyQuote(result), forwardQuote: forwardQuote(result) },
      flagged: (await mail.user.mailbox.list(folder)).find((m) => m.id === id)?.flagged ?? false,
    };
  }

  /**
   * Streams one attachment from the opened message: the promise resolves once the attachment is
   * reached, and the message's reading waits for the browser to take its bytes (or go away), so no
   * more than a chunk of it is in memory whatever its size. The others stream past unread.
   */
  attachment(address: string, folder: string, id: string, index: number): Promise<AttachmentDownload> {
    return new Promise<AttachmentDownload>((resolve, reject) => {
      let handedOver = false;
      const reading = this.session(address).then(({ mail }) =>
        this.read(mail, folder, id, {
          attachments: async (a, content) => {
            if (a.index !== index) return;
            handedOver = true;
            let finished!: () => void;
            const taken = new Promise<void>((done) => (finished = done));
            // Pulled chunk by chunk; read through, failed or cancelled — even before its first chunk
            // (a browser gone before the body was asked for) — it lets the message's reading go on.
            const chunks = content[Symbol.asyncIterator]();
            const stream = new ReadableStream<Uint8Array>(
              {
                async pull(controller) {
                  try {
                    const next = await chunks.next();
                    if (next.done) {
                      controller.close();
                      finished();
                    } else controller.enqueue(next.value);
                  } catch (error) {
                    controller.error(error);
                    finished();
                  }
                },
                async cancel() {
                  finished();
                  await chunks.return?.();
                },
              },
              { highWaterMark: 0 },
            );
            resolve({ filename: a.filename, contentType: a.contentType, size: a.size, content: stream });
            await taken;
          },
        }),
      );
      reading.then(
        () => {
          if (!handedOver) reject(new CachetError('ERR_MAIL_NOT_FOUND', 'there is no such attachment'));
        },
        // After the hand-over an error reaches the browser through the stream it is reading.
        (error: unknown) => {
          if (!handedOver) reject(error);
        },
      );
    });
  }

  async lookupRecipients(address: string, addresses: string[]): Promise<RecipientStatus[]> {
    const { mail } = await this.session(address);
    const resolve = mail.resolveRecipients;
    const out: RecipientStatus[] = [];
    for (const recipient of addresses) {
      try {
        const [lookup] = await resolve([recipient]);
        out.push(recipientStatus(lookup!));
      } catch (error) {
        if (!isCachetError(error)) throw error;
        out.push({ address: recipient, found: false, source: null, subject: null, reason: error.message, keyChanged: false });
      }
    }
    return out;
  }

  /** To/Cc autocomplete: people from the address book and the directory, each with their certificate state. */
  async suggestContacts(address: string, typed: string): Promise<ContactSuggestionsView> {
    const { mail } = await this.session(address);
    const { suggestions, directoryProblem } = await suggestContacts(mail, typed);
    return { suggestions: suggestions.map((s) => ({ address: s.address, name: s.name, from: s.from, status: recipientStatus(s.lookup) })), directoryProblem };
  }

  async send(address: string, draft: Draft): Promise<SendOutcome> {
    const { mail } = await this.session(address);
    const reply: ReplyContext | null = draft.inReplyTo ? await replyContext(mail.user.mailbox, draft.inReplyTo.folder, draft.inReplyTo.id) : null;
    const forward = draft.forward ? await forwardedContent(draft.forward, { user: mail.user, store: () => mail.store(), validator: mail.validator }) : null;
    try {
      const outcome = await sendMessage(
        {
          to: draft.to,
          cc: draft.cc,
          bcc: draft.bcc,
          subject: draft.subject,
          text: forward ? forwardText(draft.body) : draft.body,
          attachments: [...draft.attachments, ...(forward?.attachments ?? [])],
          sign: draft.sign,
          encrypt: draft.encrypt,
          allowUnencrypted: draft.allowUnencrypted ?? false,
          leaveOutMissing: draft.leaveOutMissing ?? false,
          // A forward of encrypted mail carries its decrypted content: never in clear unless the user says so.
          replyToEncrypted: (reply?.encrypted ?? false) || (forward?.encrypted ?? false),
          ...(reply?.messageId ? { inReplyTo: reply.messageId } : {}),
          ...(reply ? { references: reply.references } : {}),
        },
        {
          user: mail.user,
          policy: mail.policy,
          store: () => mail.store(),
          source: mail.source,
          resolveRecipients: mail.resolveRecipients,
          transport: mail.transport,
        },
      );
      const asStatus = (m: { address: string; reason: string }): RecipientStatus => ({ address: m.address, found: false, source: null, subject: null, reason: m.reason, keyChanged: false });
      if (outcome.kind === 'sent') return { kind: 'sent', messageId: outcome.messageId, encrypted: outcome.encrypted, signed: outcome.signed, warnings: outcome.warnings, leftOut: outcome.leftOut.map(asStatus) };
      if (outcome.kind === 'queued') {
        const { messageId, reason, encrypted, signed, delivered, waiting, refused, warnings } = outcome;
        return { kind: 'queued', messageId, reason, encrypted, signed, delivered, waiting, refused, warnings, leftOut: outcome.leftOut.map(asStatus) };
      }
      return { kind: 'needs-decision', question: outcome.question, missing: outcome.missing.map(asStatus), choices: outcome.choices };
    } catch (error) {
      if (isCachetError(error, 'ERR_RECIPIENT_CERT_MISSING') || isCachetError(error, 'ERR_DOWNGRADE_REFUSED')) {
        const missing = ((error.details['missing'] as Array<{ address: string; reason: string }> | undefined) ?? []).map((m) => ({ address: m.address, found: false, source: null, subject: null, reason: m.reason, keyChanged: false }));
        return { kind: 'refused', code: error.code, message: error.message, missing, choices: (error.details['choices'] as GroupRuleChoiceView[] | undefined) ?? [] };
      }
      throw error;
    }
  }

  private settingViews(policy: EffectivePolicy): SettingView[] {
    return policy.values.map((v: EffectiveValue) => ({ key: v.key, value: v.value, origin: v.origin, locked: v.locked && v.origin === 'policy' }));
  }

  async smimeSettings(address: string): Promise<SmimeSettingsView> {
    const { mail } = await this.session(address);
    return this.settingsView(mail);
  }

  private async settingsView(mail: MailSession): Promise<SmimeSettingsView> {
    const { policy, source } = mail;
    // A token not yet unlocked is no problem to report: the settings ask for its PIN.
    const { credentials, sourceProblem } = await listCredentialsForPage(mail, ['ERR_PASSWORD_REQUIRED']);
    // The send's own defaults; the store is open here whenever it listed a credential.
    const composeDefaults = { sign: credentials.length > 0 && (await defaultSigning(policy, () => mail.store())), encrypt: defaultEncryption(policy) };
    const firstLaunch = await firstLaunchSmimeState({ enableOnFirstLaunch: policy.boolean('enableSmimeOnFirstLaunch') }, { list: async () => credentials });
    return {
      firstLaunch,
      settings: this.settingViews(policy).filter((s) => POLICY_KEYS[s.key as keyof typeof POLICY_KEYS].kind === 'setting'),
      credentials: credentials.map((c) => ({ id: c.id, role: c.role, active: c.active, subject: c.subject, email: c.email, notAfter: c.notAfter, certificate: describeCertificate(c.certificate, c.chain) })),
      directory: (await directoryLoginState(policy, this.home, () => mail.secrets(true))) ?? null,
      source,
      tokenUnlocked: source === 'derivedCredentials' && mail.keysOpen,
      sourceProblem,
      composeDefaults,
    };
  }

  async unlockToken(address: string, pin: string): Promise<SmimeSettingsView> {
    const session = await this.session(address);
    if (session.mail.source !== 'derivedCredentials') throw new CachetError('ERR_USAGE', 'your keys are not on a token');
    await session.mail.closeKeys();
    session.pin = pin;
    try {
      await session.mail.store();
    } finally {
      session.pin = undefined;
    }
    return this.settingsView(session.mail);
  }

  holdsSession(address: string): boolean {
    return this.sessions.has(address);
  }

  heldUsers(): string[] {
    return [...this.sessions.keys()];
  }

  async retryWaitingMail(): Promise<void> {
    for (const [address, session] of this.sessions) {
      // Not a use of the session: the idle lock still strikes one nobody uses, and a locked one sends nothing.
      if (this.now() - session.lastUsed > session.idleMinutes * 60_000) continue;
      try {
        const tried = await retryDueMail(session.mail.user, session.mail.transport, this.now());
        if (tried > 0) this.log('outbox-retried', { user: address, copies: tried });
      } catch (error) {
        this.log('outbox-retry-failed', { user: address, code: isCachetError(error) ? error.code : 'ERR_INTERNAL' });
      }
    }
  }

  noteUse(address: string, at: number): void {
    const session = this.sessions.get(address);
    if (session && at > session.lastUsed) session.lastUsed = at;
  }

  async endSession(address: string): Promise<void> {
    const session = this.sessions.get(address);
    this.sessions.delete(address);
    // Written before the vault is let go of (settled() never throws: failures go to the log).
    await session?.subjects.settled();
    await session?.mail.close();
  }

  async directoryLogin(address: string, login: { bindDn?: string; password: string }): Promise<DirectoryLoginView> {
    const { mail } = await this.session(address);
    const secrets = () => mail.secrets(true);
    await directoryLogin(mail.policy, this.home, secrets, { ...(login.bindDn !== undefined ? { bindDn: login.bindDn } : {}), password: async () => login.password });
    return (await directoryLoginState(mail.policy, this.home, secrets))!;
  }

  async directoryLogout(address: string): Promise<DirectoryLoginView | null> {
    const { mail } = await this.session(address);
    await directoryLogout(await mail.secrets(true));
    return (await directoryLoginState(mail.policy, this.home, () => mail.secrets(true))) ?? null;
  }

  async updateSetting(address: string, key: string, value: unknown): Promise<SettingView> {
    const { mail } = await this.session(address);
    const result = await updateSetting({ home: this.home, settingsHome: mail.user.dir, policyFile: this.policyFile ?? undefined }, key, value);
    return { key: result.key, value: result.value, origin: result.origin, locked: false };
  }

  async effectivePolicy(address: string): Promise<SettingView[]> {
    return this.settingViews((await this.session(address)).mail.policy);
  }

  async importCertificates(address: string, source: { folder: string; id: string }): Promise<Array<{ address: string; fingerprint: string; added: boolean; pending: boolean }>> {
    const { mail } = await this.session(address);
    const results = await importCertificatesFromMessage(mail.user, source.folder, source.id);
    return results.map((r) => ({ address: r.address, fingerprint: r.fingerprint, added: r.added, pending: r.keyChange !== undefined }));
  }

  async importFromMail(address: string, source: { folder: string; id: string; index: number }, password: string, choice: { role?: CredentialRole; replaceSigning?: boolean } = {}): Promise<ImportOutcome> {
    const { mail } = await this.session(address);
    assertMailImportAllowed(mail.source);
    const [result] = await importFromMail(mail.user, source.folder, source.id, await mail.store(true), { password: async () => password, role: async () => choice.role, replaceSigning: choice.replaceSigning === true }, source.index);
    if (!result) return { kind: 'failed', code: 'ERR_CERT_NOT_FOUND', message: 'there is no certificate in that attachment' };
    return importOutcome(result);
  }
}
