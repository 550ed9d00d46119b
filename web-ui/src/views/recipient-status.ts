/**
 * A recipient's certificate state in words, for Compose's chips and the details under them: found
 * (and where), or why none can be used — each refused certificate with its reason (expired, revoked,
 * untrusted chain, wrong key usage, weak key…), as the server's recipient lookup gave it.
 */
import { h } from '../dom.js';
import type { RecipientStatus } from '../types.js';

/** The refusal codes of src/adapters/directory/recipient-selection.ts, as a few words on a chip. */
const REFUSAL_WORDS: Record<string, string> = {
  ERR_CERT_EXPIRED: 'expired',
  ERR_CERT_NOT_YET_VALID: 'not yet valid',
  ERR_CERT_REVOKED: 'revoked',
  ERR_CHAIN_UNTRUSTED: 'untrusted issuer',
  ERR_CHAIN_INCOMPLETE: 'issuer missing',
  ERR_CHAIN_TOO_LONG: 'chain too long',
  ERR_CERT_USAGE: 'not for encryption (key usage)',
  ERR_WEAK_ALGORITHM: 'weak key or algorithm',
  ERR_ADDRESS_MISMATCH: 'issued to another address',
  ERR_KEY_CHANGED: 'changed, not yet accepted',
  ERR_CERT_MALFORMED: 'unreadable',
};

const SOURCE_WORDS: Record<string, string> = { ldap: 'directory', 'ldap-cache': 'directory (cached)', addressbook: 'address book', cache: 'directory (cached)' };

/** A chip's words for a recipient without a certificate: the server's reason may already say "no certificate". */
function missingLabel(reason: string | null): string {
  if (!reason) return 'no certificate';
  return /^no (usable )?certificate/i.test(reason) ? reason : `no certificate: ${reason}`;
}

/** The chip's label: pending, found (where), refused (why, in short), or none. */
export function recipientLabel(status: RecipientStatus | undefined): string {
  if (!status) return 'looking up certificate…';
  if (status.found) return `certificate found${status.source ? ` (${SOURCE_WORDS[status.source] ?? status.source})` : ''}${status.keyChanged ? ' — certificate changed!' : ''}`;
  const refused = status.refused ?? [];
  if (refused.length > 0) return `certificate refused: ${[...new Set(refused.map((r) => REFUSAL_WORDS[r.code] ?? 'not usable'))].join(', ')}`;
  return missingLabel(status.reason);
}

/**
 * Why each found certificate was refused, for the recipients that have refusals; null when none has.
 * `open`: the addresses whose details the reader had open, drawn open again.
 */
export function refusalDetails(statuses: Array<RecipientStatus | undefined>, open: ReadonlySet<string> = new Set()): HTMLElement | null {
  const refused = statuses.filter((s): s is RecipientStatus => s !== undefined && !s.found && (s.refused?.length ?? 0) > 0);
  if (refused.length === 0) return null;
  return h(
    'div',
    { className: 'refusals', 'data-testid': 'refusals' },
    ...refused.map((status) =>
      h(
        'details',
        { className: 'cert-details', 'data-address': status.address, ...(open.has(status.address) ? { open: true } : {}) },
        h('summary', {}, `Why ${status.address} cannot receive encrypted mail`),
        h(
          'ul',
          {},
          ...status.refused!.map((r) =>
            h('li', {}, h('strong', {}, `${REFUSAL_WORDS[r.code] ?? 'not usable'}: `), `${r.reason}. `, h('span', { className: 'muted' }, `${r.subject || 'a certificate'} from the ${SOURCE_WORDS[r.source] ?? r.source}${r.fingerprint ? `, SHA-256 ${r.fingerprint.slice(0, 16)}…` : ''}`)),
          ),
        ),
      ),
    ),
  );
}
