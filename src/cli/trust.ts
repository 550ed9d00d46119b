/**
 * The trust anchors a command validates against: those given with --trust, plus the user's trust
 * store ($CACHET_HOME/trust/*.pem|*.der|*.crt, managed by `cachet trust`), plus CRL files given with
 * --crl. Without any anchor, signatures can verify but never be trusted.
 */
import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CachetError } from '../engine/errors.js';
import { createCertificateValidator } from '../engine/pki/create-validator.js';
import { createCrlClient, type CrlClient } from '../engine/pki/crl.js';
import { createOcspClient, type OcspClient } from '../engine/pki/ocsp.js';
import type { CertificateValidator } from '../engine/pki/validator.js';
import { httpFetcher } from '../net/http-fetcher.js';
import type { CliContext } from './context.js';

export function cachetHome(context: CliContext): string {
  return context.env.CACHET_HOME ?? join(homedir(), '.cachet');
}

async function readAll(paths: string[], what: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const path of paths) {
    try {
      out.push(await readFile(path));
    } catch (error) {
      throw new CachetError('ERR_INPUT_READ', `cannot read the ${what} ${path}`, { cause: error, details: { file: path } });
    }
  }
  return out;
}

/**
 * Anchors in the trust store: the user's ($CACHET_HOME/trust) and, for a user of a shared home, the
 * organisation's ($CACHET_ORG_HOME/trust, delivered by the admin). None when neither exists yet.
 */
export async function storedTrustAnchors(context: CliContext): Promise<Buffer[]> {
  const dirs = [join(cachetHome(context), 'trust'), ...(context.env.CACHET_ORG_HOME ? [join(context.env.CACHET_ORG_HOME, 'trust')] : [])];
  const anchors: Buffer[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    anchors.push(...(await readAll(names.filter((n) => /\.(pem|der|crt|cer)$/i.test(n)).sort().map((n) => join(dir, n)), 'trusted certificate')));
  }
  return anchors;
}

/** One OCSP client per process, so its cache serves every validation (a mailbox asks once per certificate). */
let sharedOcspClient: OcspClient | undefined;
let sharedCrlClient: CrlClient | undefined;

/**
 * OCSP responders and CRL distribution points are asked only for chains that end at an anchor (the
 * validator's rule), and not at all when revocation checking is off (policy `revocationMode: off`)
 * or `ocsp: false` (which turns off all network fetching, CRLs included).
 */
export async function buildValidator(
  options: { trust?: string[] | undefined; crl?: string[] | undefined; revocation?: 'off' | 'soft-fail' | 'hard-fail'; ocsp?: boolean },
  context: CliContext,
): Promise<CertificateValidator | undefined> {
  const anchors = [...(await readAll(options.trust ?? [], 'trusted certificate')), ...(await storedTrustAnchors(context))];
  if (anchors.length === 0) return undefined;
  try {
    const revocation = options.revocation ?? 'soft-fail';
    const ocspEnabled = revocation !== 'off' && options.ocsp !== false;
    if (ocspEnabled) sharedOcspClient ??= createOcspClient({ fetch: httpFetcher() });
    return createCertificateValidator({
      trustAnchors: anchors,
      crls: await readAll(options.crl ?? [], 'CRL'),
      revocation,
      ocsp: ocspEnabled && sharedOcspClient ? { enabled: true, client: sharedOcspClient } : { enabled: false },
      // CRL distribution points are fetched under the same rule as OCSP: only for chains to the store's anchors.
      crlFetch: ocspEnabled ? { enabled: true, client: (sharedCrlClient ??= createCrlClient({ fetch: httpFetcher() })) } : { enabled: false },
    });
  } catch (error) {
    throw new CachetError('ERR_CERT_MALFORMED', 'a trusted certificate or CRL file cannot be read', { cause: error });
  }
}

/** Parses --at (ISO 8601). */
export function parseAt(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new CachetError('ERR_USAGE', `--at needs an ISO 8601 time, such as 2026-01-31T12:00:00Z (got "${value}")`);
  return date;
}
