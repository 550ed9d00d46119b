/**
 * Reads SignedData (RFC 5652 §5) from a stream: the framing by hand (DER or BER with indefinite
 * lengths, as OpenSSL's `-stream` and NSS write it), the encapsulated content streamed out in chunks,
 * and the small trailing elements (certificates, CRLs, SignerInfos) captured whole.
 */
import { ByteSource } from '../asn1/byte-source.js';
import {
  captureElement,
  ConstructedScope,
  expectTag,
  readSmallInteger,
  skipContent,
  streamOctetString,
  TagClass,
  UniversalTag,
  type BerHeader,
} from '../asn1/ber-reader.js';
import { CachetError } from '../../errors.js';
import { OID, oidName } from '../oids.js';
import { openContentInfo, openEncapsulatedContent } from './content-info.js';

/** Bounds on what a SignedData may hold outside its content (hostile input). */
export const SIGNED_DATA_LIMITS = {
  maxCertificates: 64,
  maxSigners: 16,
  maxCrls: 16,
  maxDigestAlgorithms: 16,
} as const;

export interface SignedDataTrailer {
  /** DER certificates (other CertificateChoices such as attribute certificates are skipped). */
  certificates: Uint8Array[];
  crls: Uint8Array[];
  /** DER of each SignerInfo. */
  signerInfos: Uint8Array[];
}

export interface SignedDataReading {
  version: number;
  /** DER AlgorithmIdentifiers of the digestAlgorithms SET. */
  digestAlgorithms: Uint8Array[];
  /** eContentType. */
  contentType: string;
  /** The encapsulated content, streamed; null when detached. Consume it fully before `finish()`. */
  content: AsyncGenerator<Uint8Array> | null;
  /** Reads the rest: certificates, CRLs, SignerInfos and the closing of every enclosing element. */
  finish(): Promise<SignedDataTrailer>;
}

/**
 * Reads a ContentInfo holding SignedData from `source`, up to the encapsulated content.
 * Throws ERR_CMS_UNSUPPORTED when the ContentInfo holds another content type (its OID in details).
 */
export async function readSignedData(source: ByteSource): Promise<SignedDataReading> {
  try {
    return await readSignedDataInner(source);
  } catch (error) {
    throw asCmsError(error);
  }
}

export function asCmsError(error: unknown): CachetError {
  if (error instanceof CachetError) {
    if (error.code === 'ERR_CERT_MALFORMED' || error.code === 'ERR_ASN1_MALFORMED') {
      return new CachetError('ERR_CMS_MALFORMED', error.message, { cause: error });
    }
    return error;
  }
  return new CachetError('ERR_CMS_MALFORMED', 'the CMS data could not be read', { cause: error });
}

async function readSignedDataInner(source: ByteSource): Promise<SignedDataReading> {
  const frame = await openContentInfo(
    source,
    [OID.id_signedData],
    (other) => new CachetError('ERR_CMS_UNSUPPORTED', `the CMS content is ${oidName(other)}, not signed data`, { details: { contentType: other } }),
    'SignedData',
  );
  const sdScope = frame.body;
  const version = await readSmallInteger(source, await sdScope.requireChild('the SignedData version'));
  const digestSet = await sdScope.requireChild('the digestAlgorithms');
  expectTag(digestSet, TagClass.universal, UniversalTag.set, 'the digestAlgorithms SET', true);
  const digestAlgorithms: Uint8Array[] = [];
  const digestScope = new ConstructedScope(source, digestSet);
  for (let child = await digestScope.nextChild(); child; child = await digestScope.nextChild()) {
    if (digestAlgorithms.length >= SIGNED_DATA_LIMITS.maxDigestAlgorithms) throw new CachetError('ERR_LIMIT_EXCEEDED', 'the signed data names too many digest algorithms');
    digestAlgorithms.push(await captureElement(source, child, 0, 4096));
  }
  const encapsulated = await openEncapsulatedContent(source, sdScope);
  const { contentType, octets } = encapsulated;

  let content: AsyncGenerator<Uint8Array> | null = null;
  let contentDone = octets === undefined;
  if (octets) {
    content = (async function* () {
      yield* streamOctetString(source, octets);
      await encapsulated.close();
      contentDone = true;
    })();
  }

  const finish = async (): Promise<SignedDataTrailer> => {
    if (!contentDone) throw new CachetError('ERR_INTERNAL', 'the signed content must be read before the signatures');
    try {
      const trailer = await readTrailer(source, sdScope);
      await frame.close();
      return trailer;
    } catch (error) {
      throw asCmsError(error);
    }
  };
  return { version, digestAlgorithms, contentType, content: content ? guard(content) : null, finish };
}

/** Maps every error out of the content stream to a CachetError. */
async function* guard(content: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* content;
  } catch (error) {
    throw asCmsError(error);
  }
}

async function readTrailer(source: ByteSource, sdScope: ConstructedScope): Promise<SignedDataTrailer> {
  const certificates: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  const signerInfos: Uint8Array[] = [];
  let child: BerHeader | undefined = await sdScope.requireChild('the signerInfos');
  if (child.tagClass === TagClass.context && child.tagNumber === 0) {
    const scope = new ConstructedScope(source, child);
    for (let c = await scope.nextChild(); c; c = await scope.nextChild()) {
      if (certificates.length >= SIGNED_DATA_LIMITS.maxCertificates) throw new CachetError('ERR_LIMIT_EXCEEDED', 'the signed data carries too many certificates');
      if (c.tagClass === TagClass.universal && c.tagNumber === UniversalTag.sequence) certificates.push(await captureElement(source, c, 0, 1024 * 1024));
      else await skipContent(source, c);
    }
    child = await sdScope.requireChild('the signerInfos');
  }
  if (child.tagClass === TagClass.context && child.tagNumber === 1) {
    const scope = new ConstructedScope(source, child);
    for (let c = await scope.nextChild(); c; c = await scope.nextChild()) {
      if (crls.length >= SIGNED_DATA_LIMITS.maxCrls) throw new CachetError('ERR_LIMIT_EXCEEDED', 'the signed data carries too many CRLs');
      crls.push(await captureElement(source, c));
    }
    child = await sdScope.requireChild('the signerInfos');
  }
  expectTag(child, TagClass.universal, UniversalTag.set, 'the signerInfos SET', true);
  const scope = new ConstructedScope(source, child);
  for (let c = await scope.nextChild(); c; c = await scope.nextChild()) {
    if (signerInfos.length >= SIGNED_DATA_LIMITS.maxSigners) throw new CachetError('ERR_LIMIT_EXCEEDED', 'the signed data has too many signers');
    signerInfos.push(await captureElement(source, c, 0, 1024 * 1024));
  }
  await sdScope.close('the SignedData');
  return { certificates, crls, signerInfos };
}

/** Reads a whole SignedData held in memory (small objects: certs-only, detached signatures). */
export async function readSignedDataBuffer(der: Uint8Array): Promise<SignedDataReading & { contentBytes: Buffer | null; trailer: SignedDataTrailer }> {
  const reading = await readSignedData(ByteSource.fromBuffer(der));
  let contentBytes: Buffer | null = null;
  if (reading.content) {
    const parts: Uint8Array[] = [];
    for await (const chunk of reading.content) parts.push(chunk);
    contentBytes = Buffer.concat(parts);
  }
  const trailer = await reading.finish();
  return { ...reading, contentBytes, trailer };
}
