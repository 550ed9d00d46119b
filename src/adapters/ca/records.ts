/**
 * The CA's records, read for the administrator: what was issued, to whom, its status now (valid ·
 * expired · revoked), whether it reached its owner and the directory; and the two facts the other
 * commands record: a PKCS#12 file handed to `ca distribute` was delivered, a certificate published.
 */
import { createHash } from 'node:crypto';
import { CachetError } from '../../errors.js';
import type { CaStore, IssuedEntry } from './ca-store.js';

export type RecordStatus = 'valid' | 'expired' | 'revoked';

export interface CertificateRecord extends IssuedEntry {
  /** The status at the time asked: a valid entry past its notAfter is expired. */
  state: RecordStatus;
  daysLeft: number;
}

export interface RecordFilter {
  email?: string;
  status?: RecordStatus;
  template?: string;
  /** Valid certificates that expire within this many days. */
  expiringWithinDays?: number;
  /** Only those not yet delivered to their owner. */
  undelivered?: boolean;
}

const DAY = 86_400_000;

export function recordOf(entry: IssuedEntry, now: Date): CertificateRecord {
  const notAfter = new Date(entry.notAfter).getTime();
  const state: RecordStatus = entry.status === 'revoked' ? 'revoked' : notAfter <= now.getTime() ? 'expired' : 'valid';
  return { ...entry, state, daysLeft: Math.floor((notAfter - now.getTime()) / DAY) };
}

export function parseRecordStatus(value: string): RecordStatus {
  if (value === 'valid' || value === 'expired' || value === 'revoked') return value;
  throw new CachetError('ERR_USAGE', `--status must be valid, expired or revoked (not "${value}")`);
}

/** The index as records, filtered, in issuing order. */
export async function listRecords(store: CaStore, filter: RecordFilter = {}, now: Date = new Date()): Promise<CertificateRecord[]> {
  const email = filter.email?.toLowerCase();
  return (await store.index())
    .map((e) => recordOf(e, now))
    .filter((r) => email === undefined || r.email.toLowerCase() === email)
    .filter((r) => filter.status === undefined || r.state === filter.status)
    .filter((r) => filter.template === undefined || r.template === filter.template)
    .filter((r) => filter.expiringWithinDays === undefined || (r.state === 'valid' && r.daysLeft <= filter.expiringWithinDays))
    .filter((r) => !filter.undelivered || r.delivered === undefined);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Remembers which PKCS#12 file holds a certificate, so its distribution can be recognised. */
export async function recordPfx(store: CaStore, serial: string, pfx: Uint8Array): Promise<void> {
  const digest = sha256Hex(pfx);
  await store.updateEntries((entries) => entries.filter((e) => e.serial === serial).map((e) => Object.assign(e, { pfxSha256: digest })));
}

/**
 * Marks delivered the certificates whose PKCS#12 files these are (files this CA wrote) and whose
 * owner `to` is, once the distribution mail was accepted. Files the CA did not write are not matched.
 * @returns the entries marked.
 */
export async function markDelivered(store: CaStore, to: string, files: readonly Uint8Array[], via: string, who: string, now: Date = new Date()): Promise<IssuedEntry[]> {
  const digests = new Set(files.map(sha256Hex));
  const owner = to.toLowerCase();
  // Mailed to someone else than its owner, a certificate has not reached its owner.
  const marked = await store.updateEntries((entries) =>
    entries.filter((e) => e.pfxSha256 !== undefined && digests.has(e.pfxSha256) && e.email.toLowerCase() === owner).map((e) => Object.assign(e, { delivered: { at: now.toISOString(), via } })),
  );
  for (const entry of marked) await store.audit.append({ who, action: 'distribute', serial: entry.serial, email: entry.email, details: { via } });
  return marked;
}

/**
 * What `ca publish` may write for a mailbox: valid certificates that reached their owner. A
 * certificate never delivered would have correspondents encrypt to a key its owner does not hold.
 */
export async function publishableCertificates(store: CaStore, email: string, now: Date = new Date()): Promise<{ publish: CertificateRecord[]; undelivered: CertificateRecord[] }> {
  const valid = await listRecords(store, { email, status: 'valid' }, now);
  return { publish: valid.filter((r) => r.delivered), undelivered: valid.filter((r) => !r.delivered) };
}

export async function markPublished(store: CaStore, serials: readonly string[], dn: string, who: string, now: Date = new Date()): Promise<void> {
  const wanted = new Set(serials);
  const marked = await store.updateEntries((entries) => entries.filter((e) => wanted.has(e.serial)).map((e) => Object.assign(e, { published: { at: now.toISOString(), dn } })));
  for (const entry of marked) await store.audit.append({ who, action: 'publish', serial: entry.serial, email: entry.email, details: { dn } });
}
