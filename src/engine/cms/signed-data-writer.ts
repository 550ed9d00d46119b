/**
 * Writes SignedData (RFC 5652 §5) as a stream: the content is hashed as it passes and, for the opaque
 * form, written as a segmented indefinite-length OCTET STRING, so a message of any size is signed in
 * constant memory. The SignerInfos come last, once the digests are known.
 */
import { createHash, type Hash } from 'node:crypto';
import { END_OF_CONTENTS, objectIdentifier, openIndefinite, segmentedOctetString, setOf, smallInteger } from '../asn1/ber-writer.js';
import { TagClass, UniversalTag } from '../asn1/ber-reader.js';
import { CachetError } from '../../errors.js';
import type { DigestAlgorithm, Signer } from '../keys.js';
import { OID } from '../oids.js';
import type { ByteStream } from '../stream-types.js';
import { digestAlgorithmIdentifier, digestFor, MICALG } from './algorithms.js';
import { derTlv } from './der-walk.js';
import { buildSignerInfo } from './signer-info.js';

export interface SignedDataOptions {
  signers: Signer[];
  /** Default: now. */
  signingTime?: Date;
  /** eContentType; default id-data. */
  contentType?: string;
  /** How SignerInfos name certificates; default issuerAndSerialNumber (what every reader knows). */
  identifier?: 'issuerAndSerialNumber' | 'subjectKeyIdentifier';
}

/** Hashes content with every digest the signers need, as it passes. */
export class ContentDigests {
  private readonly hashes = new Map<DigestAlgorithm, Hash>();

  constructor(digests: Iterable<DigestAlgorithm>) {
    for (const digest of digests) if (!this.hashes.has(digest)) this.hashes.set(digest, createHash(digest));
  }

  update(chunk: Uint8Array): void {
    for (const hash of this.hashes.values()) hash.update(chunk);
  }

  /** Finishes every hash; call once. */
  finish(): Map<DigestAlgorithm, Buffer> {
    const out = new Map<DigestAlgorithm, Buffer>();
    for (const [digest, hash] of this.hashes) out.set(digest, hash.digest());
    return out;
  }
}

function checkSigners(signers: Signer[]): void {
  if (signers.length === 0) throw new CachetError('ERR_USAGE', 'at least one signer is needed to sign');
  for (const signer of signers) digestFor(signer); // refuses SHA-1/MD5 and bad Ed25519 digests early
}

/** micalg for multipart/signed (RFC 8551 §3.5.3): the signers' digests, comma-separated. */
export function micalgFor(signers: Signer[]): string {
  return [...new Set(signers.map((s) => MICALG[digestFor(s)]))].join(',');
}

/**
 * Collects the SignedData parts that follow the content: certificates and SignerInfos.
 * Exposed for the multipart/signed builder, which hashes the first part itself.
 */
export class SignedDataSigner {
  readonly digests: ContentDigests;

  constructor(private readonly options: SignedDataOptions) {
    checkSigners(options.signers);
    this.digests = new ContentDigests(options.signers.map(digestFor));
  }

  update(chunk: Uint8Array): void {
    this.digests.update(chunk);
  }

  /** The DER of a detached SignedData in its ContentInfo, after every content byte went to update(). */
  async detached(): Promise<Buffer> {
    const { head, tail } = await this.parts(this.digests.finish());
    const body = Buffer.concat([head, derTlv(0x30, objectIdentifier(this.contentType())), tail]);
    return derTlv(0x30, objectIdentifier(OID.id_signedData), derTlv(0xa0, derTlv(0x30, body)));
  }

  /** version and digestAlgorithms; certificates and signerInfos. */
  async parts(digests: Map<DigestAlgorithm, Buffer>): Promise<{ head: Buffer; tail: Buffer }> {
    const signingTime = this.options.signingTime ?? new Date();
    const signerInfos: Buffer[] = [];
    for (const signer of this.options.signers) {
      signerInfos.push(
        await buildSignerInfo({
          signer,
          messageDigest: digests.get(digestFor(signer))!,
          signingTime,
          contentType: this.contentType(),
          identifier: this.options.identifier ?? 'issuerAndSerialNumber',
        }),
      );
    }
    // RFC 5652 §5.1: version 3 when any SignerInfo is version 3 or the content is not id-data.
    const version = this.options.identifier === 'subjectKeyIdentifier' || this.contentType() !== OID.id_data ? 3 : 1;
    const digestAlgorithms = setOf(...[...new Set(this.options.signers.map(digestFor))].map((d) => digestAlgorithmIdentifier(d)));
    const head = Buffer.concat([smallInteger(version), digestAlgorithms]);
    const tail = Buffer.concat([derTlv(0xa0, ...this.certificates()), setOf(...signerInfos)]);
    return { head, tail };
  }

  private contentType(): string {
    return this.options.contentType ?? OID.id_data;
  }

  /**
   * Each signer's certificate, its announced encryption certificate (RFC 8551 §2.5.3: so that the
   * reader can encrypt to it) and chain, once each, signer certificates first.
   */
  private certificates(): Uint8Array[] {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const { signers } = this.options;
    const all = [
      ...signers.map((s) => s.certificate),
      ...signers.flatMap((s) => (s.encryptionCertificate ? [s.encryptionCertificate] : [])),
      ...signers.flatMap((s) => s.chain ?? []),
    ];
    for (const cert of all) {
      const key = Buffer.from(cert).toString('base64');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(cert);
    }
    return out;
  }
}

/** A detached SignedData (DER ContentInfo) over a content stream. */
export async function detachedSignedData(content: ByteStream, options: SignedDataOptions): Promise<Buffer> {
  const signer = new SignedDataSigner(options);
  for await (const chunk of content) signer.update(chunk);
  return signer.detached();
}

/**
 * An opaque (encapsulated) SignedData in its ContentInfo, streamed: BER indefinite lengths around
 * the content, which goes out as OCTET STRING segments while it is hashed; DER everywhere else.
 */
export async function* opaqueSignedData(content: ByteStream, options: SignedDataOptions): AsyncGenerator<Uint8Array> {
  const signer = new SignedDataSigner(options);
  const contentType = options.contentType ?? OID.id_data;
  // version and digestAlgorithms do not depend on the digests: write them first from a dry run.
  const version = options.identifier === 'subjectKeyIdentifier' || contentType !== OID.id_data ? 3 : 1;
  const digestAlgorithms = setOf(...[...new Set(options.signers.map(digestFor))].map((d) => digestAlgorithmIdentifier(d)));
  yield Buffer.concat([
    openIndefinite(TagClass.universal, UniversalTag.sequence),
    objectIdentifier(OID.id_signedData),
    openIndefinite(TagClass.context, 0),
    openIndefinite(TagClass.universal, UniversalTag.sequence),
    smallInteger(version),
    digestAlgorithms,
    openIndefinite(TagClass.universal, UniversalTag.sequence),
    objectIdentifier(contentType),
    openIndefinite(TagClass.context, 0),
  ]);
  const hashed = (async function* () {
    for await (const chunk of content) {
      signer.update(chunk);
      yield chunk;
    }
  })();
  yield* segmentedOctetString(hashed);
  const { tail } = await signer.parts(signer.digests.finish());
  yield Buffer.concat([END_OF_CONTENTS, END_OF_CONTENTS, tail, END_OF_CONTENTS, END_OF_CONTENTS, END_OF_CONTENTS]);
}
