/**
 * RFC 3274 CompressedData fixtures, framed as BouncyCastle and MimeKit send them. No tool on these
 * machines can make one (Debian's OpenSSL is built without zlib: `openssl cms -compress` answers
 * "unsupported compression algorithm"), so the ASN.1 is framed here by hand and the content deflated
 * by zlib; signing and encrypting around it is left to OpenSSL in the tests.
 */
import { deflateSync } from 'node:zlib';
import { END_OF_CONTENTS, explicitContext, objectIdentifier, octetString, openIndefinite, sequence, smallInteger, tagHeader } from '../../src/engine/asn1/ber-writer.js';
import { TagClass, UniversalTag } from '../../src/engine/asn1/ber-reader.js';
import { OID } from '../../src/engine/oids.js';

export interface CompressedDataOptions {
  /** BER with indefinite lengths and the compressed octets in segments (BouncyCastle's stream generator). */
  indefinite?: boolean;
  /** The compressionAlgorithm OID (zlib unless told). */
  algorithm?: string;
  /** Replaces the zlib stream (damaged or truncated ones). */
  compressed?: Buffer;
}

/** A ContentInfo holding CompressedData of `content`. */
export function compressedDataDer(content: string | Buffer, options: CompressedDataOptions = {}): Buffer {
  const compressed = options.compressed ?? deflateSync(Buffer.from(content));
  const algorithm = sequence(objectIdentifier(options.algorithm ?? OID.id_alg_zlibCompress));
  if (!options.indefinite) {
    const encap = sequence(objectIdentifier(OID.id_data), explicitContext(0, octetString(compressed)));
    return sequence(objectIdentifier(OID.id_ct_compressedData), explicitContext(0, sequence(smallInteger(0), algorithm, encap)));
  }
  const segments: Buffer[] = [];
  for (let at = 0; at < compressed.length; at += 1000) {
    const segment = compressed.subarray(at, at + 1000);
    segments.push(tagHeader(TagClass.universal, UniversalTag.octetString, false, segment.length), segment);
  }
  return Buffer.concat([
    openIndefinite(TagClass.universal, UniversalTag.sequence),
    objectIdentifier(OID.id_ct_compressedData),
    openIndefinite(TagClass.context, 0),
    openIndefinite(TagClass.universal, UniversalTag.sequence),
    smallInteger(0),
    algorithm,
    openIndefinite(TagClass.universal, UniversalTag.sequence),
    objectIdentifier(OID.id_data),
    openIndefinite(TagClass.context, 0),
    openIndefinite(TagClass.universal, UniversalTag.octetString),
    ...segments,
    END_OF_CONTENTS, // OCTET STRING
    END_OF_CONTENTS, // [0]
    END_OF_CONTENTS, // EncapsulatedContentInfo
    END_OF_CONTENTS, // CompressedData
    END_OF_CONTENTS, // [0]
    END_OF_CONTENTS, // ContentInfo
  ]);
}

/** An `application/pkcs7-mime; smime-type=compressed-data` entity (base64, as MimeKit names it smime.p7z). */
export function compressedEntity(content: string | Buffer, options: CompressedDataOptions = {}): Buffer {
  const base64 = compressedDataDer(content, options).toString('base64').replace(/.{1,76}/g, '$&\r\n');
  return Buffer.from(
    'Content-Type: application/pkcs7-mime; smime-type=compressed-data; name="smime.p7z"\r\n' +
      'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7z"\r\n\r\n' +
      base64,
  );
}
