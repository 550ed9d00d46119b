/**
 * The address book: correspondents' certificates in $CACHET_HOME/address-book.json, harvested from
 * validly signed mail (the signer's certificates, the SMIMEEncryptionKeyPreference, SMIMECapabilities
 * with the time they were seen) whose signer is the sender, or imported by the user (files, certs-only
 * messages). Mail never writes here on its own otherwise: a stranger's message must not be able to
 * plant a key or block a real one (issue 14). Each certificate is filed under the addresses it names,
 * and key continuity (key-continuity.ts) decides whether it is accepted at once or waits for the user;
 * a certificate whose chain was validated always wins over ones that were not. The intermediates that
 * such mail carried on the signer's validated chain are kept with the correspondent, so that their
 * later paths (their encryption certificate, mail that omits its chain) build with only the root
 * trusted and nothing fetched: candidates for path building, never trust anchors.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { certificateEmails, certificateIssuer, issuerAndSerialNumber, subjectKeyIdentifier } from '../../engine/cms/cert-id.js';
import { CachetError } from '../../errors.js';
import { certificateFingerprint } from '../../engine/pki/certificate-info.js';
import type { SignedLayerReport } from '../../engine/smime/reports.js';
import { writeFileAtomically } from '../storage/atomic-file.js';
import { withFileLock } from '../storage/file-lock.js';
import { certificateRoleClass, detectKeyChange, type KeyChange, type KnownCertificate } from './key-continuity.js';

export type CertificateOrigin = 'signed-mail' | 'certs-only' | 'import';

export interface AddressBookCertificate extends KnownCertificate {
  origin: CertificateOrigin;
  /** The chain was validated when it was filed (the signer of trusted, validly signed mail). */
  trusted?: true;
  firstSeen: string;
  lastSeen: string;
}

export interface Correspondent {
  certificates: AddressBookCertificate[];
  /** SMIMECapabilities as last announced, and when. */
  capabilities?: { list: string[]; seenAt: string };
  /** Fingerprint of the certificate named by SMIMEEncryptionKeyPreference, and when. */
  encryptionKeyPreference?: { fingerprint: string; seenAt: string };
  /**
   * Base64 DER of the CA certificates between the signer's certificate and the trust anchor, as their
   * validly signed mail carried them, newest first (at most MAX_KEPT_INTERMEDIATES): candidates for
   * building paths, never trust anchors.
   */
  intermediates?: string[];
}

export interface AddResult {
  address: string;
  fingerprint: string;
  added: boolean;
  keyChange?: KeyChange;
}

interface BookFile {
  version: 1;
  correspondents: Record<string, Correspondent>;
}

const normalise = (address: string): string => address.trim().toLowerCase();

/** Intermediates kept per correspondent: a chain's worth, enough for a CA's renewals to overlap. */
export const MAX_KEPT_INTERMEDIATES = 10;

export class AddressBook {
  /** Set by add (a new certificate) and accept: what {@link AddressBook.change} writes back. */
  private changed = false;

  private constructor(private readonly file: string, private data: BookFile) {}

  static file(home: string): string {
    return join(home, 'address-book.json');
  }

  static async open(home: string): Promise<AddressBook> {
    const file = AddressBook.file(home);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new AddressBook(file, { version: 1, correspondents: {} });
      throw new CachetError('ERR_INPUT_READ', `cannot read the address book ${file}`, { cause: error, details: { file } });
    }
    try {
      const data = JSON.parse(text) as BookFile;
      if (data?.version !== 1 || typeof data.correspondents !== 'object') throw new Error('unknown format');
      return new AddressBook(file, data);
    } catch (error) {
      throw new CachetError('ERR_INPUT_READ', `the address book ${file} is damaged; move it away to start a new one`, { cause: error, details: { file } });
    }
  }

  /**
   * Reads the book, lets `action` change it and writes it back, under a lock: two writers at once (the
   * web client harvesting from two messages, `cachet addressbook import` beside it) would otherwise
   * each write back what they read and lose the other's certificates.
   */
  static async change<T>(home: string, action: (book: AddressBook) => T | Promise<T>): Promise<T> {
    return withFileLock(`${AddressBook.file(home)}.lock`, async () => {
      const book = await AddressBook.open(home);
      const result = await action(book);
      // Only a new certificate or an acceptance is worth a write (a "last seen" alone rides along later).
      if (book.changed) await book.save();
      return result;
    }, { what: 'the address book' });
  }

  addresses(): string[] {
    return Object.keys(this.data.correspondents).sort();
  }

  correspondent(address: string): Correspondent | undefined {
    return this.data.correspondents[normalise(address)];
  }

  /** DER of every certificate filed under the address, accepted or not (selection decides). */
  certificates(address: string): Uint8Array[] {
    return (this.correspondent(address)?.certificates ?? []).map((c) => Buffer.from(c.der, 'base64'));
  }

  /**
   * DER of every certificate in the book, once each (a certificate may be filed under several
   * addresses), the kept intermediates included: they help find a signer's key and build chains.
   */
  allCertificates(): Uint8Array[] {
    const unique = new Set(Object.values(this.data.correspondents).flatMap((c) => [...c.certificates.map((certificate) => certificate.der), ...(c.intermediates ?? [])]));
    return [...unique].map((der) => Buffer.from(der, 'base64'));
  }

  keyChange(address: string, der: Uint8Array): KeyChange | undefined {
    return detectKeyChange(normalise(address), der, this.correspondent(address)?.certificates ?? []);
  }

  /**
   * Files a certificate under each address it names (or the given ones). The first certificate of an
   * address is accepted (trust on first use); a changed key or CA is stored unaccepted, with the change.
   * A `trusted` certificate (its chain validated) is compared only with trusted ones: accepted
   * certificates nobody validated (imported, certs-only) of the same role give way to it, so a
   * certificate planted earlier cannot make the real one PENDING.
   */
  add(der: Uint8Array, origin: CertificateOrigin, now: Date, addresses?: readonly string[], trusted = false): AddResult[] {
    const names = (addresses ?? certificateEmails(der)).map(normalise);
    if (names.length === 0) throw new CachetError('ERR_CERT_NOT_FOUND', 'the certificate names no e-mail address; give the address it belongs to');
    const fingerprint = certificateFingerprint(der);
    const results: AddResult[] = [];
    for (const address of names) {
      const entry = (this.data.correspondents[address] ??= { certificates: [] });
      const existing = entry.certificates.find((c) => c.fingerprint === fingerprint);
      if (existing) {
        existing.lastSeen = now.toISOString();
        if (trusted && !existing.trusted) {
          existing.trusted = true;
          if (!existing.accepted && detectKeyChange(address, der, entry.certificates.filter((c) => c.trusted)) === undefined) {
            existing.accepted = true;
            demoteUntrusted(entry.certificates, existing);
          }
          this.changed = true;
        }
        results.push({ address, fingerprint, added: false });
        continue;
      }
      const keyChange = detectKeyChange(address, der, trusted ? entry.certificates.filter((c) => c.trusted) : entry.certificates);
      const filed: AddressBookCertificate = {
        fingerprint,
        der: Buffer.from(der).toString('base64'),
        accepted: keyChange === undefined,
        origin,
        ...(trusted ? { trusted: true as const } : {}),
        firstSeen: now.toISOString(),
        lastSeen: now.toISOString(),
      };
      entry.certificates.push(filed);
      if (trusted && filed.accepted) demoteUntrusted(entry.certificates, filed);
      this.changed = true;
      results.push({ address, fingerprint, added: true, ...(keyChange ? { keyChange } : {}) });
    }
    return results;
  }

  /** `cachet addressbook accept EMAIL FINGERPRINT`: the user vouches for a changed certificate. */
  accept(address: string, fingerprint: string): AddressBookCertificate {
    const wanted = fingerprint.toLowerCase().replace(/[^0-9a-f]/g, '');
    const cert = this.correspondent(address)?.certificates.find((c) => c.fingerprint === wanted);
    if (!cert) throw new CachetError('ERR_CERT_NOT_FOUND', `the address book holds no certificate ${fingerprint} for ${address}`, { details: { address, fingerprint } });
    cert.accepted = true;
    this.changed = true;
    return cert;
  }

  /**
   * Harvests a signed layer for its sender. Only a signer whose signature is valid, whose certificate
   * chains to a trust anchor AND names the sender (the single From address) feeds the book, and only
   * under that address: an unverified message, or a valid one signed by someone else, must not be able
   * to plant a key for anyone.
   */
  harvestSignedLayer(report: SignedLayerReport, now: Date, sender: string): AddResult[] {
    const results: AddResult[] = [];
    const from = normalise(sender);
    for (const signer of report.signers) {
      if (!signer.valid || signer.trusted !== true || !signer.certificate) continue;
      if (!signer.email.map(normalise).includes(from)) continue;
      const addresses = [from];
      results.push(...this.add(signer.certificate, 'signed-mail', now, addresses, true));
      this.keepIntermediates(from, signer.chain ?? [], report.certificates);
      // Certificates the signer shipped for its own addresses (typically its encryption certificate).
      for (const der of report.certificates) {
        const names = certificateEmails(der).map(normalise).filter((a) => addresses.includes(a));
        if (names.length > 0 && certificateFingerprint(der) !== certificateFingerprint(signer.certificate)) results.push(...this.add(der, 'signed-mail', now, names));
      }
      const preferred = preferredCertificate(signer.encryptionKeyPreference, report.certificates);
      if (preferred && !certificateEmails(preferred).map(normalise).some((a) => addresses.includes(a))) {
        results.push(...this.add(preferred, 'signed-mail', now, addresses));
      }
      for (const address of addresses) {
        const entry = this.data.correspondents[address];
        if (!entry) continue;
        if (signer.capabilities.length > 0) entry.capabilities = { list: [...signer.capabilities], seenAt: now.toISOString() };
        if (preferred) entry.encryptionKeyPreference = { fingerprint: certificateFingerprint(preferred), seenAt: now.toISOString() };
      }
    }
    return results;
  }

  /**
   * Keeps the CA certificates of a trusted signer's validated chain (end entity first, trust anchor
   * last) that the message carried: only what proved to lie on the path to an anchor, so the message's
   * other certificates, whatever it carried, are not kept.
   */
  private keepIntermediates(address: string, chain: readonly Uint8Array[], carried: readonly Uint8Array[]): void {
    const entry = this.data.correspondents[address];
    if (!entry) return;
    const base64 = (der: Uint8Array): string => Buffer.from(der).toString('base64');
    const carriedDer = new Set(carried.map(base64));
    const kept = entry.intermediates ?? [];
    const added = chain.slice(1, -1).map(base64).filter((der) => carriedDer.has(der) && !kept.includes(der));
    if (added.length === 0) return;
    entry.intermediates = [...added, ...kept].slice(0, MAX_KEPT_INTERMEDIATES);
    this.changed = true;
  }

  /**
   * Certificates of a certs-only message, each filed under the addresses it names: only on the
   * user's explicit request (`cachet addressbook import --message`, the web client's button), never
   * while reading — an unsigned message proves nothing about whose certificates it carries.
   */
  importCertsOnly(certificates: readonly Uint8Array[], now: Date): AddResult[] {
    return certificates.filter((der) => certificateEmails(der).length > 0).flatMap((der) => this.add(der, 'certs-only', now));
  }

  /** Writes the book whole (synced, renamed into place); changes go through {@link AddressBook.change}. */
  private async save(): Promise<void> {
    await writeFileAtomically(this.file, JSON.stringify(this.data, null, 2), 'the address book');
  }
}

/** The certificates nobody validated that a trusted one of the same role replaces: no longer used. */
function demoteUntrusted(certificates: AddressBookCertificate[], winner: AddressBookCertificate): void {
  const role = certificateRoleClass(Buffer.from(winner.der, 'base64'));
  for (const c of certificates) {
    if (c !== winner && c.accepted && !c.trusted && certificateRoleClass(Buffer.from(c.der, 'base64')) === role) c.accepted = false;
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').replace(/^(00)+(?=.)/, '');
}

/** The certificate an SMIMEEncryptionKeyPreference names: carried, or found among the layer's certificates. */
function preferredCertificate(pref: SignedLayerReport['signers'][number]['encryptionKeyPreference'], pool: readonly Uint8Array[]): Uint8Array | undefined {
  if (!pref) return undefined;
  if (pref.certificate) return pref.certificate;
  return pool.find((der) => {
    if (pref.keyIdentifier) {
      const ski = subjectKeyIdentifier(der);
      return ski !== undefined && Buffer.from(ski).toString('hex') === pref.keyIdentifier.toLowerCase();
    }
    if (pref.serialNumber) {
      const serialMatches = hex(issuerAndSerialNumber(der).serialNumber) === pref.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '');
      return serialMatches && (!pref.issuer || pref.issuer === certificateIssuer(der));
    }
    return false;
  });
}
