/**
 * Recognising application/pkcs7-mime entities as real clients send them: the x-pkcs7 legacy types,
 * application/octet-stream named smime.p7m or .p7z (RFC 8551 §3.2.2), smime-type missing (sniffed from the
 * CMS content type), base64 or binary transfer encoding.
 */
import { CachetError } from '../../errors.js';
import type { MimeEntity } from '../mime/types.js';
import type { ByteStream } from '../stream-types.js';
import { base64Decode } from '../mime/base64.js';

const PKCS7_MIME_TYPES = new Set(['application/pkcs7-mime', 'application/x-pkcs7-mime']);

export function isPkcs7Mime(entity: Pick<MimeEntity, 'headers'>): boolean {
  const type = entity.headers.contentType();
  if (PKCS7_MIME_TYPES.has(type.mediaType)) return true;
  if (type.mediaType === 'application/octet-stream') {
    const name = type.params['name'] ?? /filename="?([^";]+)/i.exec(entity.headers.get('content-disposition') ?? '')?.[1] ?? '';
    // .p7z: compressed data (RFC 8551 §3.2.2) as gateways relabel it.
    return /\.p7[mz]$/i.test(name.trim());
  }
  return false;
}

/** The declared smime-type, lower-cased, or '' when absent. */
export function declaredSmimeType(entity: Pick<MimeEntity, 'headers'>): string {
  return (entity.headers.contentType().params['smime-type'] ?? '').toLowerCase();
}

/** The entity's body decoded from its transfer encoding (base64 or identity). */
export function decodedBody(entity: MimeEntity): ByteStream {
  const encoding = entity.headers.transferEncoding();
  if (encoding === 'base64') return base64Decode(entity.body);
  if (encoding === '7bit' || encoding === '8bit' || encoding === 'binary') return entity.body;
  throw new CachetError('ERR_MIME_MALFORMED', `S/MIME content encoded as ${encoding} cannot be read`);
}
