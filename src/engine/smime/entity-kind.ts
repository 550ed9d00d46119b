/**
 * What an entity says it is, from its header alone: the one place that decides "is this signed,
 * encrypted, compressed, certificates only, or plain?" for opening (open.ts), decrypting, verifying,
 * folder listings and replies. The verdict of a signature or a decryption is never decided here.
 */
import type { MimeEntity } from '../mime/types.js';
import { declaredSmimeType, isPkcs7Mime } from './pkcs7-entity.js';

/**
 * - signed: multipart/signed with a PKCS#7 signature (or no protocol), or pkcs7-mime signed-data;
 * - enveloped / auth-enveloped: pkcs7-mime enveloped-data / authEnveloped-data;
 * - compressed, certs-only: pkcs7-mime compressed-data, certs-only (or an untyped smime.p7c);
 * - undeclared: pkcs7-mime without a usable smime-type (Outlook, old clients): the CMS content type
 *   inside decides, once read;
 * - plain: anything else.
 */
export type EntityKind = 'signed' | 'enveloped' | 'auth-enveloped' | 'compressed' | 'certs-only' | 'undeclared' | 'plain';

export const SIGNATURE_PROTOCOLS = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature']);

const DECLARED: Record<string, EntityKind> = {
  'enveloped-data': 'enveloped',
  'authenveloped-data': 'auth-enveloped',
  'signed-data': 'signed',
  'compressed-data': 'compressed',
  'certs-only': 'certs-only',
};

export function classifyEntity(entity: Pick<MimeEntity, 'headers'>): EntityKind {
  const type = entity.headers.contentType();
  if (type.mediaType === 'multipart/signed') {
    const protocol = (type.params['protocol'] ?? '').toLowerCase();
    return protocol === '' || SIGNATURE_PROTOCOLS.has(protocol) ? 'signed' : 'plain';
  }
  if (!isPkcs7Mime(entity)) return 'plain';
  const smimeType = declaredSmimeType(entity);
  const declared = DECLARED[smimeType];
  if (declared) return declared;
  // smime-type missing but named smime.p7c: RFC 8551 §3.2.2 gives .p7c to certs-only messages.
  if (smimeType === '' && /\.p7c"?$/i.test((type.params['name'] ?? '').trim())) return 'certs-only';
  return 'undeclared';
}

/** Whether the entity declares encrypted content (EnvelopedData or AuthEnvelopedData). */
export function isEncryptedKind(kind: EntityKind): boolean {
  return kind === 'enveloped' || kind === 'auth-enveloped';
}
