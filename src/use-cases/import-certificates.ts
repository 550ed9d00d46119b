/**
 * The user's explicit import of a certs-only message's certificates into the address book
 * (`cachet addressbook import --message ID`, the web client's "Add to address book" button).
 * Reading never does this on its own: a certs-only message is unsigned, so anyone can send one naming
 * anyone, and filing its certificates silently would let a stranger plant a key, or make the real one
 * look like an impostor's (issue 14). Key continuity still applies to what the user imports.
 */
import { AddressBook, type AddResult } from '../adapters/directory/address-book.js';
import { CachetError } from '../errors.js';
import { openMessage } from '../engine/smime/open.js';
import { toByteStream } from '../engine/stream-types.js';
import type { FolderName } from '../adapters/mail/mailbox.js';
import type { LocalUser } from './users.js';

/**
 * @throws CachetError ERR_CERT_NOT_FOUND when the message is not a certs-only message, or carries no
 *         certificate naming an address
 */
export async function importCertificatesFromMessage(user: LocalUser, folder: FolderName, id: string, now = new Date()): Promise<AddResult[]> {
  const raw = await user.mailbox.read(folder, id);
  // No keys: a certs-only message is not encrypted, and nothing else is imported from here.
  const opened = await openMessage(toByteStream(raw), { decryptors: [] });
  try {
    const certsOnly = opened.report.layers.some((l) => l.kind === 'certs-only');
    if (!certsOnly) throw new CachetError('ERR_CERT_NOT_FOUND', 'this message is not a certs-only message: it has no certificates to import');
    const results = await AddressBook.change(user.dir, (book) => book.importCertsOnly(opened.certificates, now));
    if (results.length === 0) throw new CachetError('ERR_CERT_NOT_FOUND', 'the message carries no certificate that names an e-mail address');
    return results;
  } finally {
    await opened.dispose();
  }
}
