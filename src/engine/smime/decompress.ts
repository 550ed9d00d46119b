/**
 * Unpacking S/MIME compressed data (RFC 8551 §3.6, RFC 3274): an `application/pkcs7-mime;
 * smime-type=compressed-data` entity (or bare CMS) inflated into the sink as it streams. Compression
 * proves nothing: a compressed layer is unwrapped like an envelope, but counts neither as signed nor
 * as encrypted.
 */
import { CachetError } from '../../errors.js';
import type { MimeEntity } from '../mime/types.js';
import type { ByteSink } from '../stream-types.js';
import { decompressContentInfo, type DecompressionReport } from '../cms/compressed-data-reader.js';
import { declaredSmimeType, decodedBody, isPkcs7Mime } from './pkcs7-entity.js';

export type { DecompressionReport } from '../cms/compressed-data-reader.js';

export async function decompressEntity(entity: MimeEntity, sink: ByteSink): Promise<DecompressionReport> {
  const type = isPkcs7Mime(entity) ? declaredSmimeType(entity) : undefined;
  if (type !== '' && type !== 'compressed-data') {
    throw new CachetError('ERR_CMS_UNSUPPORTED', `the entity is ${type === undefined ? 'not S/MIME' : `S/MIME ${type}`}, not compressed data`);
  }
  // Not the reusing base64 decoder: the inflater may still hold a chunk when the next one is decoded.
  return decompressContentInfo(decodedBody(entity), sink);
}
