/**
 * The directory cache: what the directory answered for each address, positive (certificates) or
 * negative (no entry), with a TTL, in $CACHET_HOME/directory-cache.json. A stale entry still answers
 * when the directory is unreachable — and the caller says so.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../storage/atomic-file.js';

export const POSITIVE_TTL_MS = 24 * 3600 * 1000;
/**
 * "No certificate" is kept for a minute only: it spares a burst of lookups (one send, its Bcc copies)
 * the directory's round trip, but a certificate the admin has just published must not stay hidden
 * for long (issue 17: an hour hid it). A stale negative answer still stands in when the directory is
 * down, as a positive one does.
 */
export const NEGATIVE_TTL_MS = 60 * 1000;

export interface CachedLookup {
  /** DER certificates, base64; empty for a negative result. */
  certificates: string[];
  fetchedAt: string;
  expiresAt: string;
}

export interface CacheHit {
  certificates: Uint8Array[];
  fetchedAt: Date;
  fresh: boolean;
}

export class DirectoryCache {
  private entries: Record<string, CachedLookup> = {};
  private constructor(private readonly file: string) {}

  static file(home: string): string {
    return join(home, 'directory-cache.json');
  }

  /** A missing or damaged file is an empty cache: the cache is an optimisation, never a source of truth. */
  static async open(home: string): Promise<DirectoryCache> {
    const cache = new DirectoryCache(DirectoryCache.file(home));
    try {
      const parsed = JSON.parse(await readFile(cache.file, 'utf8')) as { entries?: Record<string, CachedLookup> };
      if (parsed && typeof parsed.entries === 'object' && parsed.entries) cache.entries = parsed.entries;
    } catch {
      cache.entries = {};
    }
    return cache;
  }

  get(address: string, now: Date): CacheHit | undefined {
    const hit = this.entries[address.toLowerCase()];
    if (!hit) return undefined;
    return {
      certificates: hit.certificates.map((b) => Buffer.from(b, 'base64')),
      fetchedAt: new Date(hit.fetchedAt),
      fresh: new Date(hit.expiresAt).getTime() > now.getTime(),
    };
  }

  put(address: string, certificates: readonly Uint8Array[], now: Date): void {
    const ttl = certificates.length > 0 ? POSITIVE_TTL_MS : NEGATIVE_TTL_MS;
    this.entries[address.toLowerCase()] = {
      certificates: certificates.map((c) => Buffer.from(c).toString('base64')),
      fetchedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttl).toISOString(),
    };
  }

  /** Written whole and renamed into place, so a crash never leaves half a cache. */
  async save(): Promise<void> {
    await writeFileAtomically(this.file, JSON.stringify({ version: 1, entries: this.entries }, null, 2), 'the directory cache');
  }
}
