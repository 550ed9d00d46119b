/**
 * The use case "find each recipient's encryption certificate": asks the sources the policy names
 * (directory, address book, both), falls back to the directory cache when the directory cannot be
 * reached (and says so), chooses per address (recipient-selection.ts) and reports key changes.
 */
import { CachetError, isCachetError } from '../../errors.js';
import type { CertificateValidator } from '../../engine/pki/validator.js';
import type { AddressBook } from './address-book.js';
import type { DirectoryCache } from './cache.js';
import type { KeyChange } from './key-continuity.js';
import { lookupInDirectory, type DirectoryConfig } from './ldap-lookup.js';
import { selectRecipientCertificate, type Candidate, type RejectedCandidate, type SelectedCertificate } from './recipient-selection.js';
import { certificateFingerprint, certificateInfo } from '../../engine/pki/certificate-info.js';

export type SourceOrder = 'ldap' | 'addressbook' | 'both';

export interface ResolveOptions {
  directory?: DirectoryConfig | undefined;
  addressBook?: AddressBook | undefined;
  cache?: DirectoryCache | undefined;
  /** false: ignore cached answers and do not record new ones (`--no-cache`). */
  useCache?: boolean;
  /** true: ask the directory even where a fresh cached answer exists, and record what it says
   *  (`send --refresh-directory`); a cached answer still stands in when the directory is unreachable. */
  refreshCache?: boolean;
  sourceOrder: SourceOrder;
  validator?: CertificateValidator | undefined;
  now?: Date;
  /** 'warn' (default): a changed key is returned with `keyChange`; 'block': it is rejected until accepted. */
  keyChangePolicy?: 'warn' | 'block';
}

export interface ResolvedRecipient {
  address: string;
  certificate?: SelectedCertificate;
  source?: SelectedCertificate['source'];
  rejected: RejectedCandidate[];
  keyChange?: KeyChange;
  /** Facts the user should see: "from cache, directory unreachable", "no directory entry", … */
  notes: string[];
  /** When there is no certificate: why, in one sentence. */
  reason?: string;
  /** The directory could not be asked about this address and nothing was cached: "none" is not an answer. */
  directoryUnreachable?: true;
}

interface DirectoryAnswer {
  candidates: Candidate[];
  notes: string[];
  unreachable?: true;
}

async function askDirectory(addresses: readonly string[], options: ResolveOptions, now: Date): Promise<Map<string, DirectoryAnswer>> {
  const answers = new Map<string, DirectoryAnswer>();
  const config = options.directory;
  if (!config) {
    if (options.sourceOrder === 'ldap') throw new CachetError('ERR_USAGE', 'no directory is configured: give --ldap-url and --base-dn, or set the directory policy');
    return answers;
  }
  const useCache = options.useCache !== false && options.cache !== undefined;
  const pending: string[] = [];
  for (const address of addresses) {
    const hit = useCache && options.refreshCache !== true ? options.cache?.get(address, now) : undefined;
    if (hit?.fresh) answers.set(address, { candidates: hit.certificates.map((der) => ({ der, source: 'ldap-cache' })), notes: [`from cache (fetched ${hit.fetchedAt.toISOString()})`] });
    else pending.push(address);
  }
  if (pending.length === 0) return answers;
  try {
    const found = await lookupInDirectory(config, pending);
    for (const address of pending) {
      const entries = found.get(address) ?? [];
      const certificates = entries.flatMap((e) => e.certificates);
      if (useCache) options.cache?.put(address, certificates, now);
      const notes = entries.length === 0 ? ['no directory entry for this address'] : certificates.length === 0 ? [`the directory entry ${entries.map((e) => e.dn).join(', ')} holds no certificate`] : [];
      answers.set(address, { candidates: certificates.map((der) => ({ der, source: 'ldap' })), notes });
    }
    if (useCache) await options.cache?.save().catch(() => undefined);
  } catch (error) {
    if (!isCachetError(error, 'ERR_DIRECTORY_UNREACHABLE')) throw error;
    const uncached: string[] = [];
    for (const address of pending) {
      const stale = useCache ? options.cache?.get(address, now) : undefined;
      if (stale) {
        answers.set(address, { candidates: stale.certificates.map((der) => ({ der, source: 'ldap-cache' })), notes: [`from cache, directory unreachable (cached ${stale.fetchedAt.toISOString()})`] });
      } else {
        uncached.push(address);
        answers.set(address, { candidates: [], notes: [`directory unreachable and nothing cached: ${error.message}`], unreachable: true });
      }
    }
    // With the directory as the only source, an address it could not answer is an error, not "no certificate".
    if (options.sourceOrder === 'ldap' && uncached.length > 0) {
      throw new CachetError('ERR_DIRECTORY_UNREACHABLE', `${error.message}; nothing cached for ${uncached.join(', ')}`, { cause: error, details: { ...error.details, addresses: uncached } });
    }
  }
  return answers;
}

export async function resolveRecipients(addresses: readonly string[], options: ResolveOptions): Promise<ResolvedRecipient[]> {
  const now = options.now ?? new Date();
  const normalised = addresses.map((a) => a.trim().toLowerCase());
  for (const a of normalised) {
    if (!/^[^\s@]+@[^\s@]+$/.test(a)) throw new CachetError('ERR_USAGE', `"${a}" is not an e-mail address`);
  }
  const fromDirectory = options.sourceOrder === 'addressbook' ? new Map<string, DirectoryAnswer>() : await askDirectory(normalised, options, now);
  const results: ResolvedRecipient[] = [];
  // CA certificates in the address book (filed from imports, kept from correspondents' signed mail) help build any recipient's chain.
  const bookIntermediates = (options.addressBook?.allCertificates() ?? []).filter((der) => {
    try {
      return certificateInfo(der).isCa;
    } catch {
      return false;
    }
  });
  for (const address of normalised) {
    const notes = [...(fromDirectory.get(address)?.notes ?? [])];
    const candidates: Candidate[] = [...(fromDirectory.get(address)?.candidates ?? [])];
    const rejected: RejectedCandidate[] = [];
    const book = options.addressBook;
    if (book && options.sourceOrder !== 'ldap') {
      for (const c of book.correspondent(address)?.certificates ?? []) {
        if (c.accepted) candidates.push({ der: Buffer.from(c.der, 'base64'), source: 'addressbook' });
        else rejected.push({ fingerprint: c.fingerprint, subject: '', source: 'addressbook', code: 'ERR_KEY_CHANGED', reason: `it replaces a known certificate and has not been accepted ("cachet addressbook accept ${address} ${c.fingerprint}")` });
      }
      if ((book.correspondent(address)?.certificates.length ?? 0) === 0) notes.push('not in the address book');
    }
    const selection = await selectRecipientCertificate(address, candidates, {
      validator: options.validator,
      now,
      preferredFingerprint: book?.correspondent(address)?.encryptionKeyPreference?.fingerprint,
      intermediates: bookIntermediates,
    });
    rejected.push(...selection.rejected);
    const result: ResolvedRecipient = { address, rejected, notes };
    if (fromDirectory.get(address)?.unreachable) result.directoryUnreachable = true;
    if (selection.certificate) {
      const keyChange = book?.keyChange(address, selection.certificate.der);
      if (keyChange && options.keyChangePolicy === 'block') {
        rejected.push({ fingerprint: certificateFingerprint(selection.certificate.der), subject: selection.certificate.info.subject, source: selection.certificate.source, code: 'ERR_KEY_CHANGED', reason: keyChange.message });
        result.reason = keyChange.message;
      } else {
        result.certificate = selection.certificate;
        result.source = selection.certificate.source;
        if (keyChange) result.keyChange = keyChange;
      }
    } else {
      result.reason = rejected.length > 0 ? `no usable certificate: ${rejected.map((r) => r.reason).join('; ')}` : notes.length > 0 ? `no certificate: ${notes.join('; ')}` : 'no certificate was found';
    }
    results.push(result);
  }
  return results;
}
