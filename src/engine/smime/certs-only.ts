/**
 * Certs-only messages (RFC 8551 §3.6.2.2): a SignedData with no content and no signers that carries
 * certificates, to publish them.
 */
import { objectIdentifier, setOf, smallInteger } from '../asn1/ber-writer.js';
import { ByteSource } from '../asn1/byte-source.js';
import { CachetError } from '../../errors.js';
import { OID } from '../oids.js';
import type { ByteStream } from '../stream-types.js';
import { toByteStream } from '../stream-types.js';
import { derTlv } from '../cms/der-walk.js';
import { readSignedData } from '../cms/signed-data-reader.js';
import { base64Encode } from '../mime/base64.js';
import { cmsInput } from './cms-input.js';

export const CERTS_ONLY_HEADER =
  'Content-Type: application/pkcs7-mime; smime-type=certs-only; name="smime.p7c"\r\n' +
  'Content-Transfer-Encoding: base64\r\n' +
  'Content-Disposition: attachment; filename="smime.p7c"\r\n' +
  '\r\n';

/** DER of a degenerate SignedData carrying `certificates`. */
export function certsOnlyDer(certificates: Uint8Array[]): Buffer {
  if (certificates.length === 0) throw new CachetError('ERR_USAGE', 'a certs-only message needs at least one certificate');
  const signedData = derTlv(
    0x30,
    smallInteger(1),
    setOf(),
    derTlv(0x30, objectIdentifier(OID.id_data)),
    derTlv(0xa0, ...certificates),
    setOf(),
  );
  return derTlv(0x30, objectIdentifier(OID.id_signedData), derTlv(0xa0, signedData));
}

/** An `application/pkcs7-mime; smime-type=certs-only` entity carrying the certificates. */
export function buildCertsOnly(certificates: Uint8Array[]): ByteStream {
  const der = certsOnlyDer(certificates);
  return (async function* () {
    yield Buffer.from(CERTS_ONLY_HEADER, 'latin1');
    yield* base64Encode(toByteStream(der), 76);
  })();
}

/** The certificates of a certs-only (or any) SignedData given as DER, PEM or base64. */
export async function readCertsOnly(cms: ByteStream | Uint8Array): Promise<Uint8Array[]> {
  const source = new ByteSource(await cmsInput(cms instanceof Uint8Array ? toByteStream(cms) : cms));
  const reading = await readSignedData(source);
  if (reading.content) for await (const _chunk of reading.content) { /* skipped */ }
  return (await reading.finish()).certificates;
}
