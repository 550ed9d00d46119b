/**
 * Algorithms per message from what every recipient announced in SMIMECapabilities (RFC 8551 §2.7.1),
 * as harvested from their signed mail into the address book:
 *
 * - AES-GCM in AuthEnvelopedData (RFC 5083/5084) only when every recipient announced that very GCM
 *   cipher. Many readers cannot open AuthEnvelopedData at all — mutt/NeoMutt (through `openssl smime`),
 *   Apple Mail and Thunderbird ESR — and none of them announces GCM, so silence means "no".
 * - Otherwise AES-256-CBC in EnvelopedData, which every current S/MIME client reads. CBC has no
 *   integrity of its own: a signed message keeps it through the signature inside (the reader checks
 *   it after decrypting); an unsigned message does not, which is why sending one warns (send.ts).
 * - RSA-OAEP (RFC 3560) for each RSA recipient that listed it, else PKCS#1 v1.5 (EC recipients use
 *   ECDH key agreement regardless).
 * - What signed mail announced is the newest word; without it, the SMIMECapabilities extension of
 *   the recipient's certificate (RFC 4262) is taken, if it has one.
 * - The admin's `allowedCiphers` bounds all of this; when it allows only GCM, GCM is used and the
 *   notes name who did not announce it.
 */
import type { ContentCipher } from '../../engine/keys.js';
import { OID } from '../../engine/oids.js';
import { certificateCapabilities } from '../../engine/pki/certificate-capabilities.js';

export type KeyTransport = 'rsa-oaep' | 'rsa-pkcs1';

export interface RecipientCapabilities {
  address: string;
  /** As reported by verification (names such as "aes-256-gcm", or OIDs); undefined when never seen. */
  capabilities?: readonly string[] | undefined;
  /** Where they come from, for the reason given; default signed mail. */
  source?: AnnouncedCapabilities['source'] | undefined;
}

export interface RecipientCipher {
  address: string;
  /** The strongest content cipher this recipient is known to read. */
  cipher: ContentCipher;
  /** Why, in words, for `cachet lookup` and the send report. */
  reason: string;
}

export interface AlgorithmChoice {
  contentEncryption: ContentCipher;
  /** AuthEnvelopedData for GCM, EnvelopedData for CBC. */
  contentType: 'authEnvelopedData' | 'envelopedData';
  /** Key transport per RSA recipient (EC recipients use ECDH key agreement regardless). */
  keyTransport: Record<string, KeyTransport>;
  /** What each recipient reads. */
  recipients: RecipientCipher[];
  /** Why, per recipient, for the report. */
  notes: string[];
}

export interface AnnouncedCapabilities {
  list: string[];
  /** signed-mail: harvested into the address book when their mail verified; certificate: RFC 4262. */
  source: 'signed-mail' | 'certificate';
  /** When the signed mail was read. */
  seenAt?: string;
}

/** What a recipient announced: their signed mail (the address book's record) first, else their certificate. */
export function announcedCapabilities(fromSignedMail: { list: string[]; seenAt: string } | undefined, certificate: Uint8Array | undefined): AnnouncedCapabilities | undefined {
  if (fromSignedMail && fromSignedMail.list.length > 0) return { list: fromSignedMail.list, source: 'signed-mail', seenAt: fromSignedMail.seenAt };
  const inCertificate = certificate ? certificateCapabilities(certificate) : undefined;
  return inCertificate ? { list: inCertificate, source: 'certificate' } : undefined;
}

const ALL_CIPHERS: readonly ContentCipher[] = ['aes-256-gcm', 'aes-128-gcm', 'aes-256-cbc', 'aes-192-cbc', 'aes-128-cbc'];
/** The GCM ciphers we send, strongest first, with the OIDs a capability list may name them by. */
const GCM_CIPHERS: ReadonlyArray<{ cipher: ContentCipher; names: readonly string[] }> = [
  { cipher: 'aes-256-gcm', names: ['aes-256-gcm', OID.aes256_GCM] },
  { cipher: 'aes-128-gcm', names: ['aes-128-gcm', OID.aes128_GCM] },
];
/** The default for anyone who did not announce GCM: every S/MIME reader in use decrypts it. */
export const INTEROPERABLE_CIPHER: ContentCipher = 'aes-256-cbc';
const OAEP = new Set(['rsaes-oaep', OID.id_RSAES_OAEP]);

function announcedGcm(capabilities: readonly string[] | undefined): ContentCipher[] {
  return GCM_CIPHERS.filter((g) => g.names.some((n) => capabilities?.includes(n))).map((g) => g.cipher);
}

/** The strongest cipher one recipient is known to read, and why. */
export function recipientCipher(recipient: RecipientCapabilities): RecipientCipher {
  const caps = recipient.capabilities;
  if (!caps || caps.length === 0) {
    return { address: recipient.address, cipher: INTEROPERABLE_CIPHER, reason: 'capabilities unknown (no signed mail seen): AES-256-CBC, which every client reads' };
  }
  const [gcm] = announcedGcm(caps);
  const where = recipient.source === 'certificate' ? 'in its certificate (SMIMECapabilities extension)' : 'in the SMIMECapabilities of its signed mail';
  if (gcm) return { address: recipient.address, cipher: gcm, reason: `announced ${gcm.toUpperCase()} ${where}` };
  return { address: recipient.address, cipher: INTEROPERABLE_CIPHER, reason: `did not announce AES-GCM ${where} (as mutt, Apple Mail and Thunderbird ESR do not): AES-256-CBC` };
}

/**
 * The content cipher and key transport for one message to all these recipients.
 * @param allowed the ciphers the policy allows (default: all)
 */
export function chooseAlgorithms(recipients: readonly RecipientCapabilities[], allowed: readonly ContentCipher[] = ALL_CIPHERS): AlgorithmChoice {
  const keyTransport: Record<string, KeyTransport> = {};
  const notes: string[] = [];
  const perRecipient = recipients.map(recipientCipher);
  for (const r of recipients) {
    keyTransport[r.address] = r.capabilities?.some((c) => OAEP.has(c)) ? 'rsa-oaep' : 'rsa-pkcs1';
    notes.push(`${r.address}: ${recipientCipher(r).reason}; ${keyTransport[r.address] === 'rsa-oaep' ? 'RSA-OAEP' : 'RSA PKCS#1 v1.5'}`);
  }
  const everyoneReads = (cipher: ContentCipher) => recipients.length > 0 && recipients.every((r) => announcedGcm(r.capabilities).includes(cipher));
  let cipher = GCM_CIPHERS.map((g) => g.cipher).find((c) => allowed.includes(c) && everyoneReads(c));
  if (!cipher) {
    cipher = allowed.includes(INTEROPERABLE_CIPHER) ? INTEROPERABLE_CIPHER : (allowed.find((c) => c.endsWith('-cbc')) ?? allowed[0] ?? INTEROPERABLE_CIPHER);
    if (cipher.endsWith('-gcm')) {
      const chosen = cipher;
      const unable = recipients.filter((r) => !announcedGcm(r.capabilities).includes(chosen)).map((r) => r.address);
      if (unable.length > 0) notes.push(`the policy allows only AES-GCM, which ${unable.join(', ')} did not announce`);
    }
  }
  return { contentEncryption: cipher, contentType: cipher.endsWith('-gcm') ? 'authEnvelopedData' : 'envelopedData', keyTransport, recipients: perRecipient, notes };
}
