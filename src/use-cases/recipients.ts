/**
 * The mail client's view of the directory module: for each recipient, the encryption certificate to
 * use (from the address book, the LDAP directory, or both, in the order the policy "S/MIME public
 * certificate source" gives), what they announced they can decrypt, and why there is none. A changed
 * key that the user has not accepted is never used (key continuity).
 */
import type { ContentCipher, Recipient } from '../engine/keys.js';
import type { CertificateValidator } from '../engine/pki/validator.js';
import { AddressBook } from '../adapters/directory/address-book.js';
import { announcedCapabilities, chooseAlgorithms as chooseDirectoryAlgorithms } from '../adapters/directory/algorithms.js';
import { DirectoryCache } from '../adapters/directory/cache.js';
import { directoryFromPolicy } from '../adapters/directory/policy-directory.js';
import { resolveRecipients } from '../adapters/directory/resolve-recipients.js';
import type { EffectivePolicy } from '../adapters/policy/policy.js';
import type { NamedSecrets } from '../adapters/keys/credential-store.js';

export interface RecipientLookup {
  address: string;
  certificate?: Uint8Array;
  source: 'ldap' | 'ldap-cache' | 'addressbook' | null;
  reason: string | null;
  capabilities: string[];
  /** A certificate changed and is waiting for the user to accept it. */
  keyChange: boolean;
  /** Each certificate found but refused, and why (expired, revoked, untrusted chain, key usage, weak key…). */
  refused: RefusedCertificate[];
}

export interface RefusedCertificate {
  /** The error code of the refusal: ERR_CERT_EXPIRED, ERR_CERT_REVOKED, ERR_CHAIN_UNTRUSTED, ERR_CERT_USAGE, ERR_WEAK_ALGORITHM, … */
  code: string;
  reason: string;
  subject: string;
  fingerprint: string;
  source: string;
}

export interface ResolveRequest {
  /** Ask the directory afresh instead of trusting cached answers (a certificate just published). */
  refreshDirectory?: boolean;
}

export type RecipientResolver = (addresses: string[], request?: ResolveRequest) => Promise<RecipientLookup[]>;

export interface RecipientResolverOptions {
  userDir: string;
  /** The organisation's home (the policy's relative TLS CA file is read from there); default userDir. */
  orgHome?: string;
  policy: EffectivePolicy;
  validator: CertificateValidator | undefined;
  /** The user's vault, opened only when the directory needs the bind password kept in it. */
  secrets?: () => Promise<NamedSecrets>;
  now?: Date;
}

export function recipientResolver(options: RecipientResolverOptions): RecipientResolver {
  return async (addresses, request = {}) => {
    const book = await AddressBook.open(options.userDir);
    const directory = await directoryFromPolicy(options.policy, { home: options.orgHome ?? options.userDir, ...(options.secrets ? { secrets: options.secrets } : {}) });
    const configured = options.policy.string('publicCertificateSource') as 'ldap' | 'addressbook' | 'both';
    // Without a directory, "ldap" or "both" can only mean the address book.
    const sourceOrder = directory ? configured : 'addressbook';
    const resolved = await resolveRecipients(addresses, {
      directory,
      addressBook: book,
      cache: directory ? await DirectoryCache.open(options.userDir) : undefined,
      sourceOrder,
      validator: options.validator,
      keyChangePolicy: 'block',
      ...(request.refreshDirectory ? { refreshCache: true } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    return resolved.map((r) => ({
      address: r.address,
      ...(r.certificate ? { certificate: r.certificate.der } : {}),
      source: r.source ?? null,
      reason: r.certificate ? null : (r.reason ?? 'no usable certificate'),
      capabilities: announcedCapabilities(book.correspondent(r.address)?.capabilities, r.certificate?.der)?.list ?? [],
      keyChange: r.rejected.some((x) => x.code === 'ERR_KEY_CHANGED'),
      refused: r.certificate ? [] : r.rejected.map((x) => ({ code: x.code, reason: x.reason, subject: x.subject, fingerprint: x.fingerprint, source: x.source })),
    }));
  };
}

/**
 * Per-recipient algorithms (the directory module's rule: AES-GCM only when every recipient announced
 * it, RSA-OAEP for those who did), within the ciphers the policy allows.
 */
export function chooseAlgorithms(lookups: RecipientLookup[], allowed: readonly ContentCipher[]): { cipher: ContentCipher; recipients: Recipient[] } {
  const choice = chooseDirectoryAlgorithms(lookups.map((l) => ({ address: l.address, capabilities: l.capabilities })), allowed);
  const cipher = choice.contentEncryption;
  const recipients = lookups.filter((l) => l.certificate).map((l) => ({ certificate: l.certificate!, keyTransport: choice.keyTransport[l.address] ?? ('rsa-pkcs1' as const) }));
  return { cipher, recipients };
}
