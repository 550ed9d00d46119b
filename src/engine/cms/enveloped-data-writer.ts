/**
 * Streaming EnvelopedData (RFC 5652 §6) and AuthEnvelopedData (RFC 5083) encoders. The framing is
 * indefinite-length BER, as OpenSSL's -stream writes it; the encrypted content is a segmented
 * [0] IMPLICIT OCTET STRING produced as the plaintext streams in; AES-GCM goes only into
 * AuthEnvelopedData (RFC 5084 §1: never inside EnvelopedData, which OpenSSL rejects).
 */
import { randomBytes } from 'node:crypto';
import { CachetError } from '../../errors.js';
import type { ContentCipher, Recipient } from '../keys.js';
import { OID } from '../oids.js';
import type { ByteStream } from '../stream-types.js';
import { END_OF_CONTENTS, objectIdentifier, octetString, openIndefinite, segmentedOctetString, smallInteger, tlv } from '../asn1/ber-writer.js';
import { TagClass, UniversalTag } from '../asn1/ber-reader.js';
import { contentKeyLength, createContentEncryptor, encodeContentEncryptionAlgorithm, isAuthenticatedCipher, newParameters } from './content-encryption.js';
import { buildRecipientInfo } from './recipient-info.js';

const CIPHER_SLICE = 64 * 1024;

export interface EnvelopeOptions {
  recipients: Recipient[];
  cipher: ContentCipher;
}

/** Encrypts `content` to every recipient; yields the DER/BER ContentInfo. */
export async function* envelopedContentInfo(content: ByteStream, options: EnvelopeOptions): ByteStream {
  if (options.recipients.length === 0) throw new CachetError('ERR_NO_RECIPIENTS', 'there is nobody to encrypt to');
  const authenticated = isAuthenticatedCipher(options.cipher);
  const contentKey = randomBytes(contentKeyLength(options.cipher));
  const infos = options.recipients.map((recipient) => buildRecipientInfo(recipient, contentKey));
  // RFC 5652 §6.1: version 2 when any RecipientInfo is not version 0 (SKI or key agreement).
  const version = authenticated ? 0 : infos.some((i) => i.version !== 0) ? 2 : 0;
  const recipientInfos = tlv(TagClass.universal, UniversalTag.set, true, Buffer.concat(infos.map((i) => i.der)));
  const parameters = newParameters(options.cipher);
  const encryptor = createContentEncryptor(parameters, contentKey);

  yield Buffer.concat([
    openIndefinite(TagClass.universal, UniversalTag.sequence),
    objectIdentifier(authenticated ? OID.id_ct_authEnvelopedData : OID.id_envelopedData),
    openIndefinite(TagClass.context, 0),
    openIndefinite(TagClass.universal, UniversalTag.sequence),
    smallInteger(version),
    recipientInfos,
    openIndefinite(TagClass.universal, UniversalTag.sequence),
    objectIdentifier(OID.id_data),
    encodeContentEncryptionAlgorithm(parameters),
  ]);
  async function* ciphertext(): ByteStream {
    for await (const chunk of content) {
      // At most 64 KiB per update: each update returns a new buffer, and at this size the allocator
      // recycles them (warm memory); with 256 KiB file-read chunks AES-GCM ran ~10% slower here.
      for (let offset = 0; offset < chunk.length; offset += CIPHER_SLICE) {
        const out = encryptor.update(chunk.length <= CIPHER_SLICE ? chunk : chunk.subarray(offset, offset + CIPHER_SLICE));
        if (out.length > 0) yield out;
      }
    }
    const last = encryptor.final();
    if (last.length > 0) yield last;
  }
  yield* segmentedOctetString(ciphertext(), { tagClass: TagClass.context, tagNumber: 0 });
  yield END_OF_CONTENTS; // EncryptedContentInfo
  if (authenticated) yield octetString(encryptor.tag()!); // mac; no authAttrs, so the AAD is empty
  yield Buffer.concat([END_OF_CONTENTS, END_OF_CONTENTS, END_OF_CONTENTS]);
}
