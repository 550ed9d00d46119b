/**
 * Encrypting S/MIME entities and messages (RFC 8551 §3.3): application/pkcs7-mime with
 * smime-type=enveloped-data (AES-CBC) or authEnveloped-data (AES-GCM), base64, streamed.
 *
 * Bcc: call once per Bcc recipient (with the sender), so that no RecipientInfo in what the others
 * receive names a Bcc recipient.
 */
import { CachetError } from '../errors.js';
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

export function pkcs7MimeHeader(smimeType: string): string {
  return (
    `Content-Type: application/pkcs7-mime; smime-type=${smimeType}; name="smime.p7m"\r\n` +
    'Content-Transfer-Encoding: base64\r\n' +
    'Content-Disposition: attachment; filename="smime.p7m"\r\n' +
    '\r\n'
  );
}

/** Encrypts a MIME entity (Content-* fields and body, made CRLF-canonical) to the recipients. */
export function encryptEntity(entity: ByteStream, options: EncryptOptions): ByteStream {
  const cipher = checkOptions(options);
  return readAhead(
    (async function* () {
      yield Buffer.from(pkcs7MimeHeader(isAuthenticatedCipher(cipher) ? 'authEnveloped-data' : 'enveloped-data'), 'latin1');
      yield* base64Encode(envelopedContentInfo(toCrlf(entity), { recipients: options.recipients, cipher }));
    })(),
  );
}

/** Output encrypted ahead of the reader, at most (one chunk beyond) this much. */
const READ_AHEAD_BYTES = 1024 * 1024;

/**
 * Keeps encrypting while the reader waits. A writer that awaits 'drain' (a file or socket stream)
 * otherwise alternates with us: its write runs in the thread pool while we sit idle, then we
 * encrypt the next batch while it sits idle. With a bounded queue in between, the two overlap, and
 * the memory cost stays at READ_AHEAD_BYTES. Chunks and errors reach the reader in the same order.
 */
function readAhead(stream: ByteStream, limit = READ_AHEAD_BYTES): ByteStream {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      const source = stream[Symbol.asyncIterator]();
      const queue: Uint8Array[] = [];
      let queued = 0;
      let finished = false;
      let failure: { error: unknown } | undefined;
      let pumping: Promise<void> | undefined;
      let wake: (() => void) | undefined;
      const pump = async (): Promise<void> => {
        try {
          while (!finished && queued < limit) {
            const next = await source.next();
            if (next.done) finished = true;
            else {
              queue.push(next.value);
              queued += next.value.length;
            }
            wake?.();
          }
        } catch (error) {
          failure = { error };
          finished = true;
          wake?.();
        } finally {
          pumping = undefined;
        }
      };
      const ensurePumping = () => {
        if (!pumping && !finished) pumping = pump();
      };
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          for (;;) {
            const value = queue.shift();
            if (value !== undefined) {
              queued -= value.length;
              ensurePumping();
              return { value, done: false };
            }
            if (failure) throw failure.error;
            if (finished) return { value: undefined, done: true };
            ensurePumping();
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          finished = true;
          queue.length = 0;
          await pumping;
          await source.return?.();
          return { value: undefined, done: true };
        },
      };
    },
  };
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
