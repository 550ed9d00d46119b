/**
 * Sending: compose → policy and settings → recipients' certificates → the group rule → sign →
 * encrypt (to the recipients and the sender) → outbox → transport; a copy saved to Sent.
 *
 * - Protected headers (RFC 9788, engine/smime/header-protection.ts): the whole composed message is
 *   the signed and encrypted payload, marked hp="cipher" or hp="clear" (and Thunderbird's
 *   protected-headers="v1"); outside, an encrypted message shows the Subject "[...]" when policy says
 *   so, and records what it shows outside in HP-Outer fields inside.
 * - Ciphers: AES-GCM only when every recipient announced it (algorithms.ts); otherwise AES-256-CBC,
 *   whose integrity rests on the signature — an unsigned message to such recipients is sent with a
 *   warning that changes in transit cannot be detected.
 * - Bcc: each Bcc recipient gets a separately encrypted copy naming only them (and the sender), so no
 *   RecipientInfo in what the others receive reveals them; no copy carries a Bcc header.
 * - The group rule: a recipient without a usable certificate never silently receives clear text.
 *   block (default) refuses, naming them; ask returns a question; send-unencrypted sends in clear
 *   with a warning and a record. Whatever the rule, the user may instead leave those recipients out
 *   (`leaveOutMissing`): the others get it encrypted, and the outcome names who was left out.
 * - A reply quoting an encrypted message is not sent in clear without the user's explicit choice.
 * - Streamed, never whole in memory: attachments are read from their files as the message is
 *   composed, composing, signing and encrypting are one stream, and each finished copy goes into a
 *   spool (engine/spool.ts: memory when small, a private temp file beyond) from which the Outbox and
 *   the Sent folder are written; the outbox hands the transport its file. The one whole copy left is
 *   the IMAP append of the Sent copy (adapters/mail/imap.ts says why).
 */
import { randomBytes } from 'node:crypto';
import { appendFile, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { CachetError, isCachetError } from '../errors.js';
import type { ContentCipher } from '../engine/keys.js';
import { signEntity } from '../engine/smime/sign.js';
import { encryptEntity } from '../engine/smime/encrypt.js';
import { protectHeaders } from '../engine/smime/header-protection.js';
import { Spool } from '../engine/spool.js';
import type { ByteStream } from '../engine/stream-types.js';
import type { CredentialStore } from '../adapters/keys/credential-store.js';
import type { CertificateSource } from '../adapters/keys/key-source.js';
import { chosenCredential, signerFrom } from './credential-choice.js';
import type { EffectivePolicy } from '../adapters/policy/policy.js';
import { openOutbox } from './outbox.js';
import type { PendingMessage } from '../adapters/mail/outbox.js';
import type { Transport } from '../adapters/mail/transport.js';
import { chooseAlgorithms, type RecipientLookup, type RecipientResolver } from './recipients.js';
import { checkAddress, type LocalUser } from './users.js';

/** An attachment given as bytes (the web's upload, bounded by its body limit) or as a file read while it is sent. */
export type OutgoingAttachment = { filename: string; contentType: string } & ({ data: Uint8Array } | { path: string });

export interface SendRequest {
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  text: string;
  attachments?: OutgoingAttachment[];
  /** Explicit choices; unset means "from the settings". */
  sign?: boolean;
  encrypt?: boolean;
  /** The user's answer when the group rule asked: send in clear to everyone. */
  allowUnencrypted?: boolean;
  /**
   * The user's other answer: send it encrypted to those who have a usable certificate and leave the
   * others out (of the envelope and of the To/Cc header); the outcome's `leftOut` names them.
   */
  leaveOutMissing?: boolean;
  /** The message replied to was encrypted: its quoted text must not leak in clear. */
  replyToEncrypted?: boolean;
  /** A reply's In-Reply-To and References (client/folder-listing.ts replyContext), so that it threads. */
  inReplyTo?: string;
  references?: string[];
  /** Ask the directory for the recipients' certificates afresh, not from the cache. */
  refreshDirectory?: boolean;
}

export interface SendContext {
  user: LocalUser;
  policy: EffectivePolicy;
  /** The user's keys; a function is called only when the message is signed or encrypted, so a plain
   *  message never waits on a vault or a token. */
  store: CredentialStore | (() => Promise<CredentialStore>);
  /** Where the store's keys come from (the policy's certificate source), to say what to do when it is empty. */
  source?: CertificateSource;
  /** Recipients' certificates: address book and directory, per policy (recipients.ts). */
  resolveRecipients: RecipientResolver;
  transport: Transport;
  now?: Date;
}

export interface MissingRecipient {
  address: string;
  reason: string;
}

/**
 * What the user may answer when recipients lack a usable certificate: `leave-out` (send encrypted to
 * the others) always, `send-unencrypted` only under the policy's "ask". Front ends offer these and
 * nothing else, so the rule stays here.
 */
export type GroupRuleChoice = 'leave-out' | 'send-unencrypted';

export type SendOutcome =
  /** `leftOut`: recipients the user chose to leave out for want of a certificate (empty otherwise). */
  | { kind: 'sent'; messageId: string; encrypted: boolean; signed: boolean; cipher: ContentCipher | null; warnings: string[]; leftOut: MissingRecipient[] }
  /**
   * Some or all recipients not reached yet: `delivered` did get it; `waiting` stay in the Outbox for
   * a retry (`reason` says why); `refused` were turned away for good by the mail server (its words),
   * and stay in the Outbox too, so that nothing is lost while the user decides.
   */
  | { kind: 'queued'; messageId: string; reason: string; encrypted: boolean; signed: boolean; delivered: string[]; waiting: string[]; refused: Array<{ address: string; reason: string }>; warnings: string[]; leftOut: MissingRecipient[] }
  | { kind: 'needs-decision'; question: string; missing: MissingRecipient[]; choices: GroupRuleChoice[] };

function addresses(list: string[] | undefined): string[] {
  return [...new Set((list ?? []).map(checkAddress))];
}

/**
 * The composed message as a stream; file attachments are read as it is consumed.
 * @throws CachetError ERR_INPUT_READ (from the stream) when an attachment cannot be read
 */
function compose(user: LocalUser, request: SendRequest, messageId: string, date: Date, files: Map<OutgoingAttachment, FileHandle>): ByteStream {
  const composer = new MailComposer({
    from: { name: user.name, address: user.address },
    to: request.to,
    ...(request.cc && request.cc.length > 0 ? { cc: request.cc } : {}),
    subject: request.subject,
    date,
    messageId,
    ...(request.inReplyTo ? { inReplyTo: request.inReplyTo } : {}),
    ...(request.references && request.references.length > 0 ? { references: request.references } : {}),
    text: request.text,
    // A file goes in as a stream of the handle opened beforehand, not as nodemailer's `path`, which
    // would also fetch a URL.
    attachments: (request.attachments ?? []).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      // nodemailer writes "inline" for a message/rfc822, which readers then show as this message's text.
      contentDisposition: 'attachment' as const,
      content: 'path' in a ? files.get(a)!.createReadStream({ highWaterMark: 64 * 1024 }) : Buffer.from(a.data),
    })),
  });
  const stream = composer.compile().createReadStream();
  return (async function* () {
    try {
      yield* stream;
    } catch (error) {
      if (isCachetError(error)) throw error;
      throw new CachetError('ERR_INPUT_READ', `the message could not be composed: ${(error as Error).message}`, { cause: error });
    }
  })();
}

/**
 * Opens every file attachment before anything is composed, so that one that cannot be read stops the
 * send with a clear error, not half-way through the stream.
 * @throws CachetError ERR_INPUT_READ naming the file
 */
async function openAttachments(attachments: OutgoingAttachment[]): Promise<Map<OutgoingAttachment, FileHandle>> {
  const files = new Map<OutgoingAttachment, FileHandle>();
  try {
    for (const attachment of attachments) {
      if (!('path' in attachment)) continue;
      let handle: FileHandle | undefined;
      try {
        handle = await open(attachment.path, 'r');
        if (!(await handle.stat()).isFile()) throw new Error('not a regular file');
      } catch (error) {
        await handle?.close();
        throw new CachetError('ERR_INPUT_READ', `cannot read the attachment ${attachment.path}`, { cause: error });
      }
      files.set(attachment, handle);
    }
  } catch (error) {
    await closeAll(files);
    throw error;
  }
  return files;
}

async function closeAll(files: Map<OutgoingAttachment, FileHandle>): Promise<void> {
  // A handle whose stream was read to the end is closed already; closing it again does nothing.
  for (const handle of files.values()) await handle.close().catch(() => undefined);
}

/** The header fields, then the entity that follows them. */
async function* headed(header: Buffer, entity: ByteStream): ByteStream {
  yield header;
  yield* entity;
}

/**
 * Whether a message is signed when the user does not say: the signing default, and a credential that
 * signs (of role signing or both). Compose's "Sign" switch starts from this too.
 */
export async function defaultSigning(policy: EffectivePolicy, store: () => Promise<Pick<CredentialStore, 'active'>>): Promise<boolean> {
  return smimeDefault(policy, 'enableSigning') && (await (await store()).active('signing')) !== undefined;
}

/** Whether a message is encrypted when the user does not say (a reply to an encrypted one always is). */
export function defaultEncryption(policy: EffectivePolicy, replyToEncrypted = false): boolean {
  return (policy.boolean('enableEncryption') && smimeDefault(policy, 'encryptByDefault')) || replyToEncrypted;
}

/**
 * A signing or encryption default (`enableSigning`, `encryptByDefault`) under the admin's "enable
 * S/MIME on first launch". When that is off, S/MIME stays off for a user until it is turned on — by
 * the user (`cachet settings set enableSigning true`) or by a policy that sets the key; each default
 * on its own. Explicit choices (--sign, --encrypt) are always honoured. When on, the defaults apply
 * from the start.
 */
export function smimeDefault(policy: EffectivePolicy, key: 'enableSigning' | 'encryptByDefault'): boolean {
  if (!policy.boolean(key)) return false;
  return policy.boolean('enableSmimeOnFirstLaunch') || policy.values.some((v) => v.key === key && v.origin !== 'default');
}

export async function sendMessage(request: SendRequest, context: SendContext): Promise<SendOutcome> {
  const { policy, user } = context;
  let to = addresses(request.to);
  let cc = addresses(request.cc);
  let bcc = addresses(request.bcc);
  if (to.length + cc.length + bcc.length === 0) throw new CachetError('ERR_USAGE', 'a message needs at least one recipient');
  const signingAllowed = policy.boolean('enableSigning');
  const encryptionAllowed = policy.boolean('enableEncryption');
  if (request.sign && !signingAllowed) throw new CachetError('ERR_POLICY_FORBIDS', 'signing is turned off (enableSigning)');
  if (request.encrypt && !encryptionAllowed) throw new CachetError('ERR_POLICY_FORBIDS', 'encryption is turned off (enableEncryption)');
  let store: CredentialStore | undefined;
  const keys = async (): Promise<CredentialStore> => (store ??= typeof context.store === 'function' ? await context.store() : context.store);
  const sign = request.sign ?? (await defaultSigning(policy, keys));
  let encrypt = request.encrypt ?? defaultEncryption(policy, request.replyToEncrypted);
  const warnings: string[] = [];
  if (request.replyToEncrypted && !encrypt && !request.allowUnencrypted) {
    throw new CachetError('ERR_DOWNGRADE_REFUSED', 'this reply or forward carries an encrypted message: it is not sent in clear unless you choose so explicitly (--send-unencrypted)');
  }

  let choices: RecipientLookup[] = [];
  let leftOut: MissingRecipient[] = [];
  if (encrypt) {
    choices = await context.resolveRecipients([...to, ...cc, ...bcc], request.refreshDirectory ? { refreshDirectory: true } : {});
    let missing = choices.filter((c) => !c.certificate).map((c) => ({ address: c.address, reason: c.reason ?? 'no usable certificate' }));
    if (missing.length > 0 && request.leaveOutMissing) {
      // Leaving them out keeps the message encrypted: no rule forbids it, and nobody gets clear text.
      const out = new Set(missing.map((m) => m.address));
      if (choices.every((c) => out.has(c.address))) {
        throw new CachetError('ERR_RECIPIENT_CERT_MISSING', `not sent: none of the recipients has a usable encryption certificate (${missing.map((m) => `${m.address} (${m.reason})`).join('; ')}), so leaving them out leaves nobody`, { details: { missing } });
      }
      [to, cc, bcc] = [to, cc, bcc].map((list) => list.filter((a) => !out.has(a))) as [string[], string[], string[]];
      choices = choices.filter((c) => !out.has(c.address));
      leftOut = missing;
      missing = [];
    }
    if (missing.length > 0) {
      const rule = policy.string('groupRule');
      const list = missing.map((m) => `${m.address} (${m.reason})`).join('; ');
      if (request.replyToEncrypted && !request.allowUnencrypted) {
        throw new CachetError('ERR_DOWNGRADE_REFUSED', `this reply or forward carries an encrypted message and cannot be encrypted to: ${list}. It was not sent; you may leave them out.`, { details: { missing, choices: ['leave-out'] } });
      }
      if (rule === 'block') {
        throw new CachetError('ERR_RECIPIENT_CERT_MISSING', `not sent: no usable encryption certificate for ${list}. Leave them out, or ask them for a signed message first.`, { details: { missing, choices: ['leave-out'] } });
      }
      if (rule === 'ask' && !request.allowUnencrypted) {
        return { kind: 'needs-decision', question: `${missing.length} recipient(s) have no usable encryption certificate. Send the message UNENCRYPTED to everyone? Or send it encrypted to the others and leave them out.`, missing, choices: ['leave-out', 'send-unencrypted'] };
      }
      encrypt = false;
      const warning = `sent UNENCRYPTED to everyone because of ${list}`;
      warnings.push(warning);
      await appendFile(join(user.dir, 'downgrades.log'), `${JSON.stringify({ time: new Date().toISOString(), rule, missing, recipients: [...to, ...cc, ...bcc] })}\n`, { mode: 0o600 });
    }
  }

  const date = context.now ?? new Date();
  const domain = user.address.split('@')[1] ?? 'localhost';
  const messageId = `<${randomBytes(12).toString('hex')}@${domain}>`;
  const signer = sign ? await signerFrom(await keys(), policy, context.source, user.address) : undefined;
  const own = encrypt ? await chosenCredential(await keys(), policy, 'encryption', user.address) : undefined;
  const files = await openAttachments(request.attachments ?? []);
  // Every copy is written once into a spool, then read from it for the Outbox and for Sent.
  const spools: Spool[] = [];
  const spooled = async (stream: ByteStream): Promise<Spool> => {
    const spool = new Spool();
    spools.push(spool);
    for await (const chunk of stream) await spool.write(chunk);
    return spool;
  };
  try {
    const composed = compose(user, { ...request, to, cc }, messageId, date, files);
    const copies: Array<{ envelope: { from: string; to: string[] }; message: Spool }> = [];
    let cipher: ContentCipher | null = null;
    let sentCopy: Spool;
    if (!sign && !encrypt) {
      // Neither signed nor encrypted: sent as composed.
      sentCopy = await spooled(composed);
      copies.push({ envelope: { from: user.address, to: [...to, ...cc, ...bcc] }, message: sentCopy });
    } else {
      // The whole composed message (its header fields included) is the protected inner entity.
      const { payload, outerHeader } = await protectHeaders(composed, { mode: encrypt ? 'cipher' : 'clear', obscureSubject: policy.boolean('obscureSubject') });
      const inner = signer ? signEntity(payload, { signers: [signer], mode: 'detached' }) : payload;
      if (encrypt) {
        if (!own) warnings.push('you have no encryption certificate, so you will not be able to read your own copy in Sent');
        const allowed = policy.get('allowedCiphers') as ContentCipher[];
        const hidden = choices.filter((c) => bcc.includes(c.address));
        // Read once per sealed copy: with Bcc copies, the signed entity is spooled and read again for each.
        const innerSpool = hidden.length > 0 ? await spooled(inner) : undefined;
        let unauthenticated = false;
        const seal = async (recipientChoices: RecipientLookup[]) => {
          const algorithms = chooseAlgorithms(recipientChoices, allowed);
          cipher ??= algorithms.cipher;
          unauthenticated ||= !algorithms.cipher.endsWith('-gcm');
          const recipients = own ? [...algorithms.recipients, { certificate: own.certificate }] : algorithms.recipients;
          return spooled(headed(outerHeader, encryptEntity(innerSpool ? innerSpool.read() : inner, { recipients, cipher: algorithms.cipher })));
        };
        sentCopy = await seal(choices.filter((c) => !bcc.includes(c.address)));
        if (to.length + cc.length > 0) copies.push({ envelope: { from: user.address, to: [...to, ...cc] }, message: sentCopy });
        for (const one of hidden) copies.push({ envelope: { from: user.address, to: [one.address] }, message: await seal([one]) });
        // AES-CBC has no integrity check of its own; a signature inside gives it one, nothing else does.
        if (unauthenticated && !sign) warnings.push('encrypted with AES-CBC (not every recipient announced AES-GCM) and not signed: a change made in transit cannot be detected; sign it to protect it');
      } else {
        // Signed in clear: the composed header fields stay outside as composed, Bcc never written.
        sentCopy = await spooled(headed(outerHeader, inner));
        copies.push({ envelope: { from: user.address, to: [...to, ...cc, ...bcc] }, message: sentCopy });
      }
    }
    // The spools are done with once the copies are in the Outbox and Sent (the outbox sends its own files).
    return await queueAndSend(user, context.transport, messageId, copies, sentCopy, warnings, { encrypted: encrypt, signed: sign, cipher, leftOut });
  } finally {
    await closeAll(files);
    for (const spool of spools) await spool.dispose();
  }
}

async function queueAndSend(
  user: LocalUser,
  transport: Transport,
  messageId: string,
  copies: Array<{ envelope: { from: string; to: string[] }; message: Spool }>,
  sentCopy: Spool,
  warnings: string[],
  how: { encrypted: boolean; signed: boolean; cipher: ContentCipher | null; leftOut: MissingRecipient[] },
): Promise<SendOutcome> {
  const outbox = openOutbox(user);
  const ids = await outbox.enqueue(messageId, copies);
  // The sent copy only once the message is safely queued: a Sent folder that cannot be written (the
  // IMAP server down) must not leave a message neither sent nor queued, only a warning.
  try {
    await user.mailbox.deliver('Sent', sentCopy, { seen: true });
  } catch (error) {
    if (!isCachetError(error)) throw error;
    warnings.push(`the copy for your Sent folder could not be saved (${error.message}); the message itself is on its way`);
  }
  const result = await outbox.flush(transport, ids);
  if (result.pending.length > 0) {
    const refusedFor = (p: PendingMessage, address: string) => p.refused?.[address];
    const left = result.pending.flatMap((p) => p.remaining.map((address) => ({ address, refusal: refusedFor(p, address), error: p.lastError })));
    const refused = left.filter((r) => r.refusal?.permanent).map((r) => ({ address: r.address, reason: r.refusal!.reason }));
    const waitingOnes = left.filter((r) => !r.refusal?.permanent);
    const waiting = [...new Set(waitingOnes.map((r) => r.address))];
    const first = waitingOnes[0];
    const reason = first?.error?.message ?? first?.refusal?.reason ?? 'the mail server did not take it';
    const notReached = new Set(left.map((r) => r.address));
    const delivered = [...new Set(copies.flatMap((c) => c.envelope.to))].filter((r) => !notReached.has(r));
    return { kind: 'queued', messageId, reason, encrypted: how.encrypted, signed: how.signed, delivered, waiting, refused, warnings, leftOut: how.leftOut };
  }
  return { kind: 'sent', messageId, encrypted: how.encrypted, signed: how.signed, cipher: how.cipher, warnings, leftOut: how.leftOut };
}
