/**
 * DKIM (RFC 6376) as the authentication of an ACME challenge reply (RFC 8823 §3.2 allows DKIM or
 * S/MIME). This is what lets a mailbox get its FIRST certificate by ACME: it has no S/MIME
 * certificate yet, but its mail server signs what it sends for its domain.
 *
 * A reply counts as DKIM-authenticated only when one of its signatures
 * - verifies (mailauth: the header hash with the public key from DNS, the body hash, not expired),
 * - is aligned with the From address: its signing domain (d=) is the From domain or a parent of it
 *   (whoever holds a parent's DNS holds the subdomain's anyway; a sibling or an unrelated domain
 *   does not count, unlike DMARC's relaxed alignment by organisational domain),
 * - covers the From and Subject fields (the mailbox, and token-part1 of the challenge),
 * - covers the whole body (no l= tag leaving text unsigned, where another response block could hide).
 * The reply must carry exactly one From and one Subject field: DKIM covers the last of repeated
 * fields while a reader shows the first.
 *
 * mailauth is an optional dependency: without it no DKIM reply counts, and the reason says so.
 */
import { Resolver } from 'node:dns/promises';
import { CachetError } from '../../errors.js';

/** DKIM-Signature fields verified at most (each costs a DNS query): a stranger's reply gets bounded work. */
export const MAX_DKIM_SIGNATURES = 5;
/** RFC 8301 §3.2: verifiers must refuse RSA keys under 1024 bits. */
const MIN_RSA_BITS = 1024;

/** Looks a DNS name up (TXT for DKIM), as node:dns does. */
export type DnsResolver = (name: string, rrtype: string) => Promise<string[][] | string[]>;

export interface DkimVerdict {
  /** The aligned signing domain that authenticated the reply. */
  domain?: string;
  /** Why no signature counts, for the order's error. */
  reason?: string;
}

/**
 * A resolver that asks the given DNS servers ("127.0.0.1:5353", "[::1]:53", "10.0.0.2"), or the
 * system's when none is given.
 * @throws CachetError ERR_USAGE for a server that is not an IP address (with an optional port).
 */
export function dnsResolver(servers: string[] = []): DnsResolver {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  try {
    if (servers.length > 0) resolver.setServers(servers);
  } catch (error) {
    throw new CachetError('ERR_USAGE', `a DNS server is an IP address with an optional port (127.0.0.1:5353, [::1]:53), not one of ${servers.join(', ')}`, { cause: error });
  }
  return (name, rrtype) => resolver.resolve(name, rrtype) as Promise<string[][] | string[]>;
}

function isAligned(signingDomain: string, fromDomain: string): boolean {
  const d = signingDomain.toLowerCase().replace(/\.$/, '');
  // A one-label d= ("com") would align with every mailbox of a top-level domain.
  return d.includes('.') && (fromDomain === d || fromDomain.endsWith(`.${d}`));
}

function countFields(raw: Uint8Array, name: string): number {
  const text = Buffer.from(raw.subarray(0, Math.min(raw.length, 64 * 1024))).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const header = end < 0 ? text : text.slice(0, end);
  return header.split(/\r?\n/).filter((line) => line.toLowerCase().startsWith(`${name}:`)).length;
}

interface MailauthResult {
  signingDomain?: string;
  signingHeaders?: { keys?: string[] | string };
  canonBodyLengthLimited?: boolean;
  status: { result: string; comment?: string | false };
}

/**
 * Checks the DKIM signatures of a reply that claims to be from `email`.
 * @returns the verdict: `domain` when a signature authenticates the reply, else `reason` (also when
 *   DKIM cannot be checked here at all: mailauth missing).
 */
export async function checkDkim(raw: Uint8Array, email: string, resolver: DnsResolver): Promise<DkimVerdict> {
  const signatures = countFields(raw, 'dkim-signature');
  if (signatures === 0) return { reason: 'it carries no DKIM signature' };
  if (signatures > MAX_DKIM_SIGNATURES) return { reason: `it carries ${signatures} DKIM signatures, more than the ${MAX_DKIM_SIGNATURES} checked` };
  if (countFields(raw, 'from') !== 1 || countFields(raw, 'subject') !== 1) return { reason: 'it does not have exactly one From and one Subject field' };
  let dkimVerify: (input: Buffer, options: object) => Promise<{ results: MailauthResult[] }>;
  try {
    ({ dkimVerify } = (await import('mailauth/lib/dkim/verify.js')) as unknown as { dkimVerify: typeof dkimVerify });
  } catch {
    return { reason: 'this ACME server cannot check DKIM signatures (the optional package mailauth is not installed)' };
  }
  const fromDomain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  const { results } = await dkimVerify(Buffer.from(raw), { resolver, minBitLength: MIN_RSA_BITS });
  const reasons: string[] = [];
  for (const result of results) {
    const domain = result.signingDomain ?? '?';
    const keys = result.signingHeaders?.keys;
    const covered = (Array.isArray(keys) ? keys : String(keys ?? '').split(':')).map((k) => k.trim().toLowerCase());
    if (result.status.result !== 'pass') reasons.push(`the signature of ${domain} does not verify (${result.status.result}${result.status.comment ? `: ${result.status.comment}` : ''})`);
    else if (!isAligned(domain, fromDomain)) reasons.push(`the signature of ${domain} verifies but is not aligned with the From domain ${fromDomain}`);
    else if (!covered.includes('from') || !covered.includes('subject')) reasons.push(`the signature of ${domain} does not cover the From and Subject fields`);
    else if (result.canonBodyLengthLimited) reasons.push(`the signature of ${domain} covers only part of the body (l=)`);
    else return { domain };
  }
  return { reason: reasons.join('; ') || 'no DKIM signature could be read' };
}
