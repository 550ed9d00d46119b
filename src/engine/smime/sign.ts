/**
 * Signing S/MIME entities and messages (RFC 8551 §3.5): detached (multipart/signed) or opaque
 * (application/pkcs7-mime; smime-type=signed-data), streamed end to end.
 *
 * Before signing, the entity is made transport-safe and canonical (CRLF, 7-bit, short lines, no
 * trailing white space, "From " protected) so that no relay has a reason to rewrite it and break the
 * signature (RFC 8551 §3.1.1, §3.1.3).
 */
import { CachetError } from '../../errors.js';
import type { Signer } from '../keys.js';
import type { ByteStream } from '../stream-types.js';
import { toByteStream } from '../stream-types.js';
import { SignedDataSigner, micalgFor, opaqueSignedData } from '../cms/signed-data-writer.js';
import { buildMultipartSigned } from '../mime/multipart-signed.js';
import { toTransportSafeCanonical } from '../mime/canonicalize.js';
import { base64Encode } from '../mime/base64.js';
import { readMimeEntity } from '../mime/entity-reader.js';

export interface SignOptions {
  signers: Signer[];
  mode: 'detached' | 'opaque';
  /** Default: now. */
  signingTime?: Date;
  /** How SignerInfos name certificates; default issuerAndSerialNumber. */
  identifier?: 'issuerAndSerialNumber' | 'subjectKeyIdentifier';
}

const KNOWN_OPTIONS = new Set(['signers', 'mode', 'signingTime', 'identifier']);

function checkOptions(options: SignOptions): void {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new CachetError('ERR_USAGE', `unknown sign option "${key}"`);
  }
  if (options.mode !== 'detached' && options.mode !== 'opaque') throw new CachetError('ERR_USAGE', 'the sign mode must be "detached" or "opaque"');
  if (!options.signers || options.signers.length === 0) throw new CachetError('ERR_USAGE', 'at least one signer is needed to sign');
}

/** Header fields of an opaque signed entity. */
export const OPAQUE_SIGNED_HEADER =
  'Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"\r\n' +
  'Content-Transfer-Encoding: base64\r\n' +
  'Content-Disposition: attachment; filename="smime.p7m"\r\n' +
  '\r\n';

/**
 * Signs a MIME entity (its Content-* header fields and body). Returns the signed entity: a
 * multipart/signed or an application/pkcs7-mime entity, with CRLF line ends.
 */
export function signEntity(entity: ByteStream, options: SignOptions): ByteStream {
  checkOptions(options);
  const dataOptions = {
    signers: options.signers,
    ...(options.signingTime ? { signingTime: options.signingTime } : {}),
    ...(options.identifier ? { identifier: options.identifier } : {}),
  };
  // Validate signers (digest policy) before the first byte goes out.
  const signer = new SignedDataSigner(dataOptions);
  const canonical = toTransportSafeCanonical(entity);
  if (options.mode === 'opaque') {
    return (async function* () {
      yield Buffer.from(OPAQUE_SIGNED_HEADER, 'latin1');
      yield* base64Encode(opaqueSignedData(canonical, dataOptions), 76);
    })();
  }
  return buildMultipartSigned({
    entity: canonical,
    onContent: (chunk) => signer.update(chunk),
    micalg: micalgFor(options.signers),
    signature: () =>
      (async function* () {
        yield* base64Encode(toByteStream(await signer.detached()), 76);
      })(),
  });
}

/** Header fields that describe the content and so belong to the signed entity (RFC 2045 §9). */
function isContentField(name: string): boolean {
  return /^content-/i.test(name);
}

function crlf(raw: Uint8Array): Buffer {
  // Outer header fields are not signed; write them with CRLF line ends like the rest.
  return Buffer.from(Buffer.from(raw).toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

/**
 * Signs a whole RFC 5322 message: its Content-* fields and body become the signed entity; the other
 * header fields (From, To, Subject, …) stay outside, and MIME-Version: 1.0 is set.
 */
export function signMessage(message: ByteStream, options: SignOptions): ByteStream {
  checkOptions(options);
  return (async function* () {
    const parsed = await readMimeEntity(message);
    const outer: Buffer[] = [];
    const inner: Buffer[] = [];
    for (const field of parsed.headers.fields) {
      if (/^mime-version$/i.test(field.name)) continue;
      (isContentField(field.name) ? inner : outer).push(crlf(field.raw));
    }
    const entity = (async function* () {
      yield Buffer.concat([...inner, Buffer.from('\r\n')]);
      yield* parsed.body;
    })();
    yield Buffer.concat([...outer, Buffer.from('MIME-Version: 1.0\r\n')]);
    yield* signEntity(entity, options);
  })();
}

export { buildCertsOnly } from './certs-only.js';
