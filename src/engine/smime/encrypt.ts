/**
 * Encrypting S/MIME entities and messages (RFC 8551 §3.3): application/pkcs7-mime with
 * smime-type=enveloped-data (AES-CBC) or authEnveloped-data (AES-GCM), base64, streamed.
 *
 * Bcc: call once per Bcc recipient (with the sender), so that no RecipientInfo in what the others
 * receive names a Bcc recipient.
 */
import { CachetError } from '../../errors.js';
import type { ContentCipher, Recipient } from '../keys.js';
import type { ByteStream } from '../stream-types.js';
import { envelopedContentInfo } from '../cms/enveloped-data-writer.js';
import { isAuthenticatedCipher } from '../cms/content-encryption.js';
import { base64Encode } from '../mime/base64.js';
import { toCrlf } from '../mime/line-endings.js';
import { wrapMessage } from '../mime/message-split.js';

export interface EncryptOptions {
  recipients: Recipient[];
  /** Default aes-256-cbc: every client reads it. AES-GCM when all recipients announced it. */
  cipher?: ContentCipher;
}

export const CIPHERS: readonly ContentCipher[] = ['aes-256-gcm', 'aes-128-gcm', 'aes-256-cbc', 'aes-192-cbc', 'aes-128-cbc'];

function checkOptions(options: EncryptOptions): ContentCipher {
  for (const key of Object.keys(options)) {
    if (key !== 'recipients' && key !== 'cipher') throw new CachetError('ERR_USAGE', `unknown encrypt option "${key}"`);
  }
  const cipher = options.cipher ?? 'aes-256-cbc';
  if (!CIPHERS.includes(cipher)) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the cipher ${String(cipher)} is not one of ${CIPHERS.join(', ')}`);
  if (options.recipients.length === 0) throw new CachetError('ERR_NO_RECIPIENTS', 'there is nobody to encrypt to');
  return cipher;
}

/** The encrypted entity's header, with the Content-Description Thunderbird (NSS) writes on it. */
export function pkcs7MimeHeader(smimeType: 'enveloped-data' | 'authEnveloped-data'): string {
  return (
    `Content-Type: application/pkcs7-mime; smime-type=${smimeType}; name="smime.p7m"\r\n` +
    'Content-Transfer-Encoding: base64\r\n' +
    'Content-Disposition: attachment; filename="smime.p7m"\r\n' +
    'Content-Description: S/MIME Encrypted Message\r\n' +
    '\r\n'
  );
}

/** Encrypts a MIME entity (Content-* fields and body, made CRLF-canonical) to the recipients. */
export function encryptEntity(entity: ByteStream, options: EncryptOptions): ByteStream {
  const cipher = checkOptions(options);
  // No read-ahead queue here any more: the consumer that waits for I/O overlaps it itself (the CLI's
  // output keeps several buffered writes in flight), and the queue cost more than it saved there.
  return (async function* () {
    yield Buffer.from(pkcs7MimeHeader(isAuthenticatedCipher(cipher) ? 'authEnveloped-data' : 'enveloped-data'), 'latin1');
    yield* base64Encode(envelopedContentInfo(toCrlf(entity), { recipients: options.recipients, cipher }));
  })();
}

/** Encrypts a whole message: the Content-* fields and body are encrypted, the rest stays outside. */
export function encryptMessage(message: ByteStream, options: EncryptOptions): ByteStream {
  checkOptions(options);
  return wrapMessage(message, (entity) => encryptEntity(entity, options));
}

/** Bare CMS (DER/BER ContentInfo) of the content, for files and oracles. */
export function encryptCms(content: ByteStream, options: EncryptOptions): ByteStream {
  const cipher = checkOptions(options);
  return envelopedContentInfo(content, { recipients: options.recipients, cipher });
}
