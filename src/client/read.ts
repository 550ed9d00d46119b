/**
 * Reading: the stored message → openMessage with every decryption key the user holds (old ones too:
 * never lose access to old mail) and the trust anchors → the status a user can trust, the displayed
 * bodies and attachments of the verified/decrypted content only, and the sender's certificates
 * harvested into the address book when the message is validly signed.
 */
import PostalMime from 'postal-mime';
import type { Decryptor } from '../engine/keys.js';
import type { CertificateValidator } from '../engine/pki/validator.js';
import { openMessage, type OpenReport } from '../engine/smime/open.js';
import { collectBytes, toByteStream } from '../engine/stream-types.js';
import { withExactAttachmentEncoding } from '../engine/mime/exact-attachments.js';
import { isCachetError } from '../engine/errors.js';
import type { CredentialStore } from '../keys/credential-store.js';
import type { FolderName } from '../mail/maildir.js';
import { AddressBook } from '../directory/address-book.js';
import type { LocalUser } from './users.js';

export interface ReadAttachment {
  index: number;
  filename: string;
  contentType: string;
  size: number;
  content: Uint8Array;
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

/** Every key that can decrypt: all encryption credentials, active or kept for old mail. */
export async function decryptorsOf(store: CredentialStore): Promise<Decryptor[]> {
  const out: Decryptor[] = [];
  for (const credential of await store.list()) {
    if (credential.role !== 'encryption') continue;
    out.push({ certificate: credential.certificate, key: await store.privateKey(credential.id) });
  }
  return out;
}

/**
 * Feeds the address book from what the message proves: signers of a valid message (their
 * certificates, key preference, capabilities) and certs-only content. Returns key-change warnings.
 */
async function harvest(userDir: string, opened: Awaited<ReturnType<typeof openMessage>>, now: Date): Promise<string[]> {
  const certsOnly = opened.report.layers.some((l) => l.kind === 'certs-only');
  if (opened.report.status !== 'valid' && !certsOnly) return [];
  // The book is read again here, under its lock: the copy read before opening the message may be stale.
  const results = await AddressBook.change(userDir, (book) => [
    ...(opened.report.status === 'valid' ? opened.signedLayers.flatMap((layer) => book.harvestSignedLayer(layer, now)) : []),
    ...(certsOnly ? book.harvestCertsOnly(opened.certificates, now) : []),
  ]);
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
 * The display parser over the verified/decrypted content, with quoted-printable attachments handed
 * to it as base64 so their bytes come out exact (postal-mime 4.0 adds a byte; exact-attachments.ts).
 */
function parseForDisplay(content: Buffer): ReturnType<typeof PostalMime.parse> {
  return PostalMime.parse(withExactAttachmentEncoding(content));
}

export async function readMessage(folder: FolderName, id: string, context: ReadContext): Promise<ReadResult> {
  const raw = await context.user.mailbox.read(folder, id);
  const bookWarnings: string[] = [];
  const book = await addressBookOf(context.user.dir, bookWarnings);
  const opened = await openMessage(toByteStream(raw), {
    decryptors: async () => decryptorsOf(typeof context.store === 'function' ? await context.store() : context.store),
    ...(context.validator ? { validator: context.validator } : {}),
    ...(context.at ? { at: context.at } : {}),
    // A correspondent's earlier certificates verify their mail that does not carry one (Outlook with
    // "send my certificate" off); they only supply a public key: trust is still checked.
    certificates: book?.allCertificates() ?? [],
  });
  try {
    const content = await collectBytes(opened.content);
    const parsed = await parseForDisplay(content);
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
      attachments: parsed.attachments.map((a, index) => {
        const bytes = typeof a.content === 'string' ? Buffer.from(a.content, a.encoding === 'base64' ? 'base64' : 'utf8') : new Uint8Array(a.content);
        return { index, filename: a.filename ?? `attachment-${index + 1}`, contentType: a.mimeType, size: bytes.length, content: bytes };
      }),
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
