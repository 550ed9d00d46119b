/**
 * Reading: the stored message → openMessage with every decryption key the user holds (old ones too:
 * never lose access to old mail) and the trust anchors → the status a user can trust, the displayed
 * bodies and attachments of the verified/decrypted content only, and the sender's certificates
 * harvested into the address book when the message is validly signed.
 *
 * The message streams from the mailbox through open's spools: only the displayed text parts are
 * parsed in memory (engine/mime/displayed-parts.ts), and attachments are streamed from the spool
 * one at a time to whoever saves or serves them. A message beyond MIME_LIMITS is refused with
 * ERR_LIMIT_EXCEEDED and left in its folder as it was (not even marked as read).
 */
import PostalMime from 'postal-mime';
import type { Decryptor } from '../engine/keys.js';
import { forEachAttachment, readDisplayedParts, readPartBodies } from '../engine/mime/displayed-parts.js';
import { MIME_LIMITS } from '../engine/mime/limits.js';
import type { CertificateValidator } from '../engine/pki/validator.js';
import { openMessage, type OpenReport } from '../engine/smime/open.js';
import type { ByteStream } from '../engine/stream-types.js';
import { CachetError, isCachetError } from '../errors.js';
import { servesUse, type CredentialStore } from '../adapters/keys/credential-store.js';
import type { FolderName } from '../adapters/mail/mailbox.js';
import { AddressBook } from '../adapters/directory/address-book.js';
import type { LocalUser } from './users.js';

export interface ReadAttachment {
  index: number;
  /** The name its sender gave it (or attachment-N): a name to show, not a safe path. */
  filename: string;
  contentType: string;
  /** Decoded bytes. */
  size: number;
}

export interface ReadResult {
  id: string;
  folder: FolderName;
  report: OpenReport;
  text: string | null;
  html: string | null;
  attachments: ReadAttachment[];
  /** Addresses whose certificate changed (key continuity), to tell the user. */
  keyChanges: string[];
  /**
   * A partially-signed message, to be shown apart and never merged (every front end shows it so):
   * the text of the signed parts' content, and each unsigned part with its own description, as
   * stored (MIME_LIMITS.maxDisplayedBytes in all). Null for every other message.
   */
  partiallySigned: { signedText: string; unsignedParts: Array<{ description: string; text: string }> } | null;
  /** Per signer of the message's signed layers (same order as report.signers): certificate, chain, revocation. */
  signerDetails: Array<{ certificate?: Uint8Array; chain?: Uint8Array[]; revocation?: string }>;
}

export interface ReadContext {
  user: LocalUser;
  /** The user's keys; a function is called only for encrypted mail (no PIN or passphrase otherwise). */
  store: CredentialStore | (() => Promise<CredentialStore>);
  validator: CertificateValidator | undefined;
  at?: Date;
}

export interface ReadOptions {
  /**
   * Called for each attachment in turn, with its decoded content streamed from the opened message
   * (never all attachments in memory at once); what it leaves unread is skipped.
   */
  attachments?: (attachment: ReadAttachment, content: ByteStream) => Promise<void>;
}

/** Every key that can decrypt: all encryption (and both-role) credentials, active or kept for old mail. */
export async function decryptorsOf(store: CredentialStore): Promise<Decryptor[]> {
  const out: Decryptor[] = [];
  for (const credential of await store.list()) {
    if (!servesUse(credential, 'encryption')) continue;
    out.push({ certificate: credential.certificate, key: await store.privateKey(credential.id) });
  }
  return out;
}

/**
 * Feeds the address book from what the message proves, and from nothing else: only a valid message
 * (every signature good and trusted, a signer is the single From address) gives its sender's
 * certificates (key preference, capabilities), filed under that From address alone. Certs-only
 * content is never filed while reading: it is unsigned, so anyone could have sent it for anyone
 * (its import is the user's explicit act, see import-certificates.ts). Returns key-change warnings.
 */
async function harvest(userDir: string, opened: Awaited<ReturnType<typeof openMessage>>, now: Date): Promise<string[]> {
  const [sender] = opened.report.from;
  if (opened.report.status !== 'valid' || sender === undefined || opened.report.from.length !== 1) return [];
  // The book is read again here, under its lock: the copy read before opening the message may be stale.
  const results = await AddressBook.change(userDir, (book) => opened.signedLayers.flatMap((layer) => book.harvestSignedLayer(layer, now, sender)));
  return results.filter((r) => r.keyChange).map((r) => `${r.keyChange!.message} It is not used for encryption until you accept it: cachet addressbook accept ${r.address} ${r.fingerprint}`);
}

/** The address book, or undefined when it cannot be read: a damaged book must not keep anyone from their mail. */
async function addressBookOf(userDir: string, warnings: string[]): Promise<AddressBook | undefined> {
  try {
    return await AddressBook.open(userDir);
  } catch (error) {
    if (!isCachetError(error)) throw error;
    warnings.push(`${error.message}; its certificates were not used and nothing was added to it`);
    return undefined;
  }
}

/**
 * @throws CachetError ERR_LIMIT_EXCEEDED (details.limit, folder, id) for a message beyond MIME_LIMITS
 *         or open's limits; the message stays in its folder, unread
 */
export async function readMessage(folder: FolderName, id: string, context: ReadContext, options: ReadOptions = {}): Promise<ReadResult> {
  try {
    return await readStoredMessage(folder, id, context, options);
  } catch (error) {
    if (!isCachetError(error, 'ERR_LIMIT_EXCEEDED')) throw error;
    throw new CachetError('ERR_LIMIT_EXCEEDED', `${error.message}: the message was not opened, and is left as it was in ${folder}`, { cause: error, details: { ...error.details, folder, id } });
  }
}

async function readStoredMessage(folder: FolderName, id: string, context: ReadContext, options: ReadOptions): Promise<ReadResult> {
  const bookWarnings: string[] = [];
  const book = await addressBookOf(context.user.dir, bookWarnings);
  const opened = await openMessage(await context.user.mailbox.stream(folder, id), {
    decryptors: async () => decryptorsOf(typeof context.store === 'function' ? await context.store() : context.store),
    ...(context.validator ? { validator: context.validator } : {}),
    ...(context.at ? { at: context.at } : {}),
    // A correspondent's earlier certificates verify their mail that does not carry one (Outlook with
    // "send my certificate" off); they only supply a public key: trust is still checked.
    certificates: book?.allCertificates() ?? [],
  });
  try {
    // A message/rfc822 content is shown only when it wraps this message (header protection); else it is attached.
    const parts = await readDisplayedParts(() => opened.readContent(), { rootWrapsMessage: opened.wrapsMessage });
    // Embedded messages are nested no deeper than MIME_LIMITS allows: postal-mime's own bound never decides.
    const parsed = await PostalMime.parse(parts.skeleton, { maxRfc822NestingDepth: MIME_LIMITS.maxDepth });
    const attachments = parts.attachments.map((a) => ({ index: a.index, filename: a.filename || `attachment-${a.index + 1}`, contentType: a.contentType, size: a.size }));
    const { attachments: visit } = options;
    if (visit) await forEachAttachment(opened.readContent(), parts, (a, content) => visit(attachments[a.index]!, content));
    opened.report.warnings.push(...parts.warnings);
    let partiallySigned: ReadResult['partiallySigned'] = null;
    if (opened.report.status === 'partially-signed') {
      const signedPaths = opened.report.signedParts.map((p) => `${p.path}.1`);
      const texts = await readPartBodies(opened.readContent(), [...signedPaths, ...opened.report.unsignedParts]);
      const textOf = (path: string) => texts.get(path)?.body.toString('utf8');
      partiallySigned = {
        signedText: signedPaths.flatMap((path) => textOf(path) ?? []).join('\n'),
        unsignedParts: opened.report.unsignedParts.flatMap((path) => {
          const part = texts.get(path);
          return part ? [{ description: `part ${path} (${part.mediaType})`, text: part.body.toString('utf8') }] : [];
        }),
      };
    }
    // Not with a damaged book: it stays as it is, for the user to move away (the warning says so).
    const keyChanges = book ? await harvest(context.user.dir, opened, context.at ?? new Date()) : [];
    for (const change of keyChanges) opened.report.warnings.push(change);
    opened.report.warnings.push(...bookWarnings);
    await context.user.mailbox.markSeen(folder, id);
    return {
      id,
      folder,
      report: opened.report,
      text: parsed.text ?? null,
      html: parsed.html ?? null,
      attachments,
      partiallySigned,
      keyChanges,
      signerDetails: opened.signedLayers.flatMap((l) =>
        l.signers.map((signer) => ({
          ...(signer.certificate ? { certificate: signer.certificate } : {}),
          ...(signer.chain ? { chain: signer.chain } : {}),
          ...(signer.revocation ? { revocation: `${signer.revocation.status}${signer.revocation.method !== 'none' ? ` (${signer.revocation.method.toUpperCase()})` : ''}` } : {}),
        })),
      ),
    };
  } finally {
    await opened.dispose();
  }
}
