/**
 * The address book: correspondents' certificates harvested from validly signed mail (the signers'
 * certificates, the one they named with SMIMEEncryptionKeyPreference, their SMIMECapabilities) and
 * from certs-only messages, or imported by hand — and the choice of the certificate to encrypt to.
 *
 * Key continuity: every certificate ever seen for an address is remembered. When an address
 * suddenly presents a key from another CA, the change is recorded and said plainly, as SSH does for
 * host keys; until the user accepts it, the new certificate is not chosen for encryption.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CachetError } from '../engine/errors.js';
import { certificateEmails } from '../engine/cms/cert-id.js';
import { certificateRole } from '../engine/pki/certificate-role.js';
import type { CertificateValidator } from '../engine/pki/validator.js';
import type { OpenResult } from '../engine/smime/open.js';
import { normaliseAddress } from '../engine/smime/open.js';
import type { ContentCipher, Recipient } from '../engine/keys.js';

export interface KnownCertificate {
  /** base64 DER */
  der: string;
  fingerprint: string;
  source: 'signed-mail' | 'certs-only' | 'imported';
  firstSeen: string;
  /** Named by the correspondent as their encryption certificate (SMIMEEncryptionKeyPreference). */
  preferred: boolean;
  issuer: string;
  /** base64 DER of CA certificates that came with it (to build its chain later). */
  chain?: string[];
}

export interface AddressEntry {
  certificates: KnownCertificate[];
  /** What the correspondent announced they can decrypt, strongest first. */
  capabilities: string[];
  /** Fingerprints of certificates whose change the user accepted (or the first ones seen). */
  accepted: string[];
}

export interface RecipientChoice {
  address: string;
  certificate?: Uint8Array;
  source: 'addressbook' | 'ldap' | null;
  /** Why each other candidate was not chosen; or why there is none. */
  rejected: Array<{ fingerprint: string; reason: string }>;
  reason: string | null;
  capabilities: string[];
  /** A certificate not yet accepted after a change of key or CA. */
  keyChange: boolean;
}

export function fingerprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

export class AddressBook {
  private entries: Record<string, AddressEntry> = {};

  private constructor(private readonly path: string) {}

  static async open(userDir: string): Promise<AddressBook> {
    const book = new AddressBook(join(userDir, 'addressbook.json'));
    try {
      book.entries = (JSON.parse(await readFile(book.path, 'utf8')) as { entries: Record<string, AddressEntry> }).entries ?? {};
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new CachetError('ERR_INPUT_READ', `the address book ${book.path} cannot be read`, { cause: error });
    }
    return book;
  }

  async save(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ entries: this.entries }, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.path);
  }

  entry(address: string): AddressEntry | undefined {
    return this.entries[normaliseAddress(address)];
  }

  addresses(): string[] {
    return Object.keys(this.entries).sort();
  }

  /**
   * Adds a certificate for each of its addresses. Returns the addresses whose key changed (a new
   * certificate from a different issuer, or a new key, while others were already known).
   */
  add(der: Uint8Array, source: KnownCertificate['source'], options: { preferred?: boolean; capabilities?: string[]; now?: Date; chain?: Uint8Array[] } = {}): string[] {
    const cert = new X509Certificate(Buffer.from(der));
    const fingerprint = fingerprintOf(der);
    const changed: string[] = [];
    for (const address of certificateEmails(der).map(normaliseAddress)) {
      const entry = (this.entries[address] ??= { certificates: [], capabilities: [], accepted: [] });
      if (options.capabilities && options.capabilities.length > 0) entry.capabilities = options.capabilities;
      const existing = entry.certificates.find((c) => c.fingerprint === fingerprint);
      if (existing) {
        if (options.preferred) {
          for (const c of entry.certificates) c.preferred = c.fingerprint === fingerprint;
        }
        continue;
      }
      const knownIssuers = new Set(entry.certificates.map((c) => c.issuer));
      const firstForAddress = entry.certificates.length === 0;
      if (options.preferred) for (const c of entry.certificates) c.preferred = false;
      entry.certificates.push({
        der: Buffer.from(der).toString('base64'),
        fingerprint,
        source,
        firstSeen: (options.now ?? new Date()).toISOString(),
        preferred: options.preferred ?? false,
        issuer: cert.issuer,
        chain: (options.chain ?? []).filter((c) => new X509Certificate(Buffer.from(c)).ca).map((c) => Buffer.from(c).toString('base64')),
      });
      // The first certificate, or a renewal by the same CA, is trusted on first use; another CA is a change.
      if (firstForAddress || knownIssuers.has(cert.issuer) || source === 'imported') entry.accepted.push(fingerprint);
      else changed.push(address);
    }
    return changed;
  }

  accept(address: string, fingerprint: string): void {
    const entry = this.entry(address);
    const known = entry?.certificates.find((c) => c.fingerprint.startsWith(fingerprint.toLowerCase().replace(/:/g, '')));
    if (!entry || !known) throw new CachetError('ERR_CERT_NOT_FOUND', `no certificate ${fingerprint} is known for ${address}`);
    if (!entry.accepted.includes(known.fingerprint)) entry.accepted.push(known.fingerprint);
  }

  /**
   * Harvests what a validly signed message tells about its signers. Only messages whose status is
   * valid are harvested: a forged or untrusted signature must not plant a key.
   */
  harvest(opened: OpenResult): string[] {
    if (opened.report.status !== 'valid') return [];
    const changed: string[] = [];
    for (const layer of opened.signedLayers) {
      for (const signer of layer.signers) {
        if (!signer.valid || signer.trusted !== true || !signer.certificate) continue;
        const chain = layer.certificates;
        changed.push(...this.add(signer.certificate, 'signed-mail', { capabilities: signer.capabilities, chain }));
        const preference = signer.encryptionKeyPreference?.certificate;
        if (preference) changed.push(...this.add(preference, 'signed-mail', { preferred: true, chain }));
        // a separate encryption certificate of the signer carried in the message
        for (const other of layer.certificates) {
          const sameOwner = certificateEmails(other).some((e) => signer.email.includes(e));
          if (sameOwner && certificateRole(other).role === 'encryption') changed.push(...this.add(other, 'signed-mail', { chain }));
        }
      }
    }
    return [...new Set(changed)];
  }

  /** The certificate to encrypt to for `address`, or why there is none. */
  async choose(address: string, validator: CertificateValidator | undefined, now: Date = new Date()): Promise<RecipientChoice> {
    const normalised = normaliseAddress(address);
    const entry = this.entries[normalised];
    const base: RecipientChoice = { address: normalised, source: null, rejected: [], reason: null, capabilities: entry?.capabilities ?? [], keyChange: false };
    if (!entry || entry.certificates.length === 0) return { ...base, reason: 'no certificate is known for this address (ask them to send you a signed message)' };
    const usable: Array<{ cert: KnownCertificate; der: Buffer; notBefore: number }> = [];
    for (const known of entry.certificates) {
      const der = Buffer.from(known.der, 'base64');
      const role = certificateRole(der).role;
      if (role !== 'encryption' && role !== 'dual') {
        base.rejected.push({ fingerprint: known.fingerprint, reason: role === 'signing' ? 'a signing-only certificate' : 'not usable for S/MIME' });
        continue;
      }
      if (!validator) {
        base.rejected.push({ fingerprint: known.fingerprint, reason: 'no trusted root is configured, so no certificate can be trusted' });
        continue;
      }
      const intermediates = (known.chain ?? []).map((c) => Buffer.from(c, 'base64'));
      const result = await validator.validate({ certificate: der, intermediates, purpose: 'encryption', at: now });
      if (!result.trusted) {
        base.rejected.push({ fingerprint: known.fingerprint, reason: result.error?.message ?? 'not trusted' });
        continue;
      }
      if (!entry.accepted.includes(known.fingerprint)) {
        base.rejected.push({ fingerprint: known.fingerprint, reason: 'the certificate changed (a different CA) and has not been accepted yet' });
        base.keyChange = true;
        continue;
      }
      usable.push({ cert: known, der, notBefore: new X509Certificate(der).validFrom ? Date.parse(new X509Certificate(der).validFrom) : 0 });
    }
    usable.sort((a, b) => Number(b.cert.preferred) - Number(a.cert.preferred) || b.notBefore - a.notBefore);
    const chosen = usable[0];
    if (!chosen) return { ...base, reason: base.rejected.map((r) => r.reason).join('; ') || 'no usable certificate' };
    return { ...base, certificate: chosen.der, source: 'addressbook' };
  }
}

/**
 * Per-recipient algorithms: AES-GCM (AuthEnvelopedData) only when every recipient announced it,
 * else AES-256-CBC; RSA-OAEP only for those who announced it. Unknown recipients get the
 * interoperable default.
 */
export function chooseAlgorithms(choices: RecipientChoice[], allowed: readonly ContentCipher[]): { cipher: ContentCipher; recipients: Recipient[] } {
  const everyone = (capability: string) => choices.length > 0 && choices.every((c) => c.capabilities.includes(capability));
  const preference: ContentCipher[] = ['aes-256-gcm', 'aes-128-gcm', 'aes-256-cbc', 'aes-192-cbc', 'aes-128-cbc'];
  const cipher =
    preference.find((c) => allowed.includes(c) && (c.endsWith('cbc') ? c === 'aes-256-cbc' || !allowed.includes('aes-256-cbc') : everyone(c))) ?? allowed[0] ?? 'aes-256-cbc';
  const recipients = choices
    .filter((c) => c.certificate)
    .map((c) => ({ certificate: c.certificate!, keyTransport: c.capabilities.includes('rsaes-oaep') ? ('rsa-oaep' as const) : ('rsa-pkcs1' as const) }));
  return { cipher, recipients };
}
