/**
 * Decrypting S/MIME (RFC 8551 §3.3): application/pkcs7-mime enveloped-data and authEnveloped-data
 * entities, or bare CMS. The decrypted inner entity is written to the sink as it streams; this
 * function resolves only once the GCM tag or the CBC padding has been checked, and the caller must
 * hold the sink's content back until then (see spool.ts).
 */
import { CachetError } from '../../errors.js';
import type { Decryptor } from '../keys.js';
import type { MimeEntity } from '../mime/types.js';
import type { ByteSink, ByteStream } from '../stream-types.js';
import { decryptEnvelopedContentInfo, type DecryptionReport } from '../cms/enveloped-data-reader.js';
import { declaredSmimeType, decodedBody, isPkcs7Mime } from './pkcs7-entity.js';
import { classifyEntity, isEncryptedKind } from './entity-kind.js';
import { base64Decode } from '../mime/base64.js';

export type { DecryptionReport } from '../cms/enveloped-data-reader.js';

export interface DecryptOptions {
  decryptors: Decryptor[];
}

/** Whether the entity declares (or, without smime-type, may hold) encrypted content. */
export function isEncryptedEntity(entity: Pick<MimeEntity, 'headers'>): boolean {
  return isEncryptedKind(classifyEntity(entity));
}

export async function decryptEnvelopedEntity(entity: MimeEntity, sink: ByteSink, options: DecryptOptions): Promise<DecryptionReport> {
  const kind = classifyEntity(entity);
  if (kind === 'plain' || (kind === 'signed' && !isPkcs7Mime(entity))) throw new CachetError('ERR_NOT_ENCRYPTED', 'the message is not encrypted (no application/pkcs7-mime content)');
  if (kind !== 'undeclared' && !isEncryptedKind(kind)) {
    throw new CachetError('ERR_NOT_ENCRYPTED', `the message is S/MIME ${declaredSmimeType(entity) || kind}, not encrypted`);
  }
  // The decoded content goes only to the CMS reader's ByteSource, which is done with a chunk when it
  // asks for the next (it copies the small elements it keeps): base64 may decode into reused memory.
  const content = entity.headers.transferEncoding() === 'base64' ? base64Decode(entity.body, { reuseOutput: true }) : decodedBody(entity);
  return decryptEnvelopedContentInfo(content, sink, options.decryptors);
}

/** Bare CMS (DER/BER ContentInfo). */
export async function decryptCms(cms: ByteStream, sink: ByteSink, options: DecryptOptions): Promise<DecryptionReport> {
  return decryptEnvelopedContentInfo(cms, sink, options.decryptors);
}
