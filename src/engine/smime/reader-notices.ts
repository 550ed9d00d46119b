/**
 * What a reader must be told beside the status, because the status alone would let them believe more
 * than the message proves: content decrypted without integrity, a legacy cipher, a signature made over
 * ciphertext (anyone may sign a captured encrypted message, "mallory signs alice's ciphertext"), and a
 * display name that imitates another address. One place decides these sentences; every front end
 * shows `report.warnings` as they are.
 */
import type { Mailbox } from '../mime/addresses.js';
import type { DecryptionReport } from './decrypt.js';
import type { SignerSummary } from './reports.js';

type Layer = { kind: string } & Partial<Pick<DecryptionReport, 'authenticated' | 'contentEncryption' | 'rc2EffectiveBits'>> & { signers?: SignerSummary[] };

export interface ReaderNotices {
  warnings: string[];
  /**
   * The content was decrypted from EnvelopedData (CBC, no integrity) and no signature inside the
   * encryption covers it: whoever captured the message could have changed it (EFAIL-style malleability).
   */
  unauthenticatedEncryption: boolean;
}

/**
 * @param layers the layers unwrapped at the root, outermost first
 * @param innerFrom the From mailboxes of the innermost entity's own header, when it has one
 * @param shownFrom the From mailboxes the reader is shown
 */
export function readerNotices(layers: readonly Layer[], innerFrom: readonly Mailbox[] | undefined, shownFrom: readonly Mailbox[]): ReaderNotices {
  const warnings: string[] = [];
  const lastSigned = layers.map((l) => l.kind).lastIndexOf('signed');
  let unauthenticatedEncryption = false;
  layers.forEach((layer, index) => {
    if (layer.kind !== 'encrypted') return;
    const cipher = cipherWarning(layer);
    if (cipher) warnings.push(cipher);
    if (!layer.authenticated && lastSigned < index) {
      unauthenticatedEncryption = true;
      warnings.push(
        `the content was decrypted from ${layer.contentEncryption ?? 'CBC'} without integrity protection (EnvelopedData, not AuthEnvelopedData) and is not signed inside the encryption: anyone who captured the message could have changed it undetected`,
      );
    }
    const signedOutside = layers.slice(0, index).filter((l) => l.kind === 'signed');
    for (const signed of signedOutside) {
      const signers = (signed.signers ?? []).map((s) => s.email[0] ?? s.subject).join(', ') || 'the signer';
      warnings.push(`the signature by ${signers} covers the encrypted message, not what it says: anyone can sign a captured encrypted message, so it does not show that ${signers} wrote the content`);
      const authors = (innerFrom ?? []).map((m) => m.address).filter((a): a is string => a !== undefined);
      const signerAddresses = (signed.signers ?? []).flatMap((s) => s.email);
      if (authors.length > 0 && !authors.some((a) => signerAddresses.includes(a))) {
        warnings.push(`${signers} is not the author of what the signature wraps: the encrypted message inside is from ${authors.join(', ')}`);
      }
    }
  });
  for (const box of shownFrom) {
    if (box.nameWarning === 'looks-like-another-address') warnings.push(`the sender's display name "${box.name ?? ''}" looks like another address; the sender's address is ${box.address ?? '(unreadable)'}`);
    if (box.nameWarning === 'bidi-controls') warnings.push(`the sender's display name holds bidirectional control characters that can reorder what is shown; the sender's address is ${box.address ?? '(unreadable)'}`);
  }
  if (shownFrom.length > 1) warnings.push(`the message names ${shownFrom.length} senders (RFC 5322 allows one From with one mailbox): it is not shown as signed by its sender`);
  return { warnings, unauthenticatedEncryption };
}

/** RC2 (any key size) and 3DES are read for old mail, never without saying how weak they are. */
export function cipherWarning(layer: Layer): string | undefined {
  if (layer.contentEncryption === 'rc2-cbc') {
    return `the message was encrypted with RC2 (${layer.rc2EffectiveBits ?? 128}-bit key), a broken legacy cipher${(layer.rc2EffectiveBits ?? 128) <= 64 ? ' that can be decrypted by anyone who captured it' : ''}; ask the sender to use AES`;
  }
  if (layer.contentEncryption === 'des-ede3-cbc') return 'the message was encrypted with 3DES, a legacy cipher (64-bit blocks, withdrawn by NIST in 2023); ask the sender to use AES';
  return undefined;
}

/**
 * The header fields shown that no signature covers, as front ends mark them: for a signed message, every
 * unprotected field but a From that the status verified (`valid`: a trusted signer is that address).
 * Nothing for a message that is not signed at all: its status already says none of it is proven.
 */
export function headersNotCoveredBySignature(status: string, unprotected: readonly string[]): string[] {
  if (status === 'not-signed') return [];
  return unprotected.filter((field) => !(field === 'from' && status === 'valid'));
}

/** The sentence for {@link headersNotCoveredBySignature}: which fields, and whether some others are protected. */
export function uncoveredHeadersWarning(fields: readonly string[], someProtected: boolean): string | undefined {
  if (fields.length === 0) return undefined;
  const names = fields.map((f) => f.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())).join(', ');
  return someProtected
    ? `only some headers are covered by the signature: ${names} ${fields.length === 1 ? 'is' : 'are'} not, and may have been changed by anyone`
    : `the signature does not cover the headers (no header protection): ${names} may have been changed by anyone`;
}
