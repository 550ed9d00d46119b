/**
 * Verifying signed S/MIME entities (RFC 8551 §3.5, RFC 5652 §5.6): multipart/signed and opaque
 * application/pkcs7-mime signed-data (and their x-pkcs7 / smime.p7m / binary variants), and bare CMS.
 *
 * The signed inner entity streams to the caller's sink as it is hashed; the caller holds it back
 * until the verdict is in.
 */
import { ByteSource } from '../asn1/byte-source.js';
import { CachetError, isCachetError } from '../../errors.js';
import type { ReadableDigestAlgorithm } from '../keys.js';
import type { MimeEntity } from '../mime/types.js';
import type { ByteSink, ByteStream } from '../stream-types.js';
import { collectBytes, toByteStream } from '../stream-types.js';
import { digestFromMicalg } from '../cms/algorithms.js';
import { readSignedData, readSignedDataBuffer } from '../cms/signed-data-reader.js';
import { FirstPartAsSent, MULTIPART_SIGNED_LIMITS, splitMultipartSigned } from '../mime/multipart-signed.js';
import { base64Decode } from '../mime/base64.js';
import { readMimeEntity } from '../mime/entity-reader.js';
import { cmsInput } from './cms-input.js';
import type { SignedLayerReport } from './reports.js';
import { checkSigners, ContentHasher, hashContent, verifySignedData, type VerifyOptions } from './signed-data-verifier.js';
import { decodedBody, declaredSmimeType } from './pkcs7-entity.js';
import { classifyEntity, SIGNATURE_PROTOCOLS } from './entity-kind.js';

export type { VerifyOptions } from './signed-data-verifier.js';
export type { SignedLayerReport, SignerReport } from './reports.js';

const ALL_DIGESTS: ReadableDigestAlgorithm[] = ['sha1', 'sha256', 'sha384', 'sha512'];

/** How a signed entity is signed, from its header: 'detached', 'opaque', or null when it is not signed. */
export function signedForm(entity: Pick<MimeEntity, 'headers'>): 'detached' | 'opaque' | null {
  const kind = classifyEntity(entity);
  if (kind === 'signed') return entity.headers.contentType().mediaType === 'multipart/signed' ? 'detached' : 'opaque';
  // Untyped pkcs7-mime: if it is SignedData, the reader finds out.
  return kind === 'undeclared' && declaredSmimeType(entity) === '' ? 'opaque' : null;
}

/** The digests to compute while the detached content streams, before the signature is read. */
function digestsForMicalg(micalg: string | undefined): ReadableDigestAlgorithm[] {
  const named = (micalg ?? '').split(',').map(digestFromMicalg);
  if (named.length === 0 || named.some((d) => d === undefined)) return ALL_DIGESTS;
  return [...new Set<ReadableDigestAlgorithm>([...(named as ReadableDigestAlgorithm[]), 'sha256'])];
}

/**
 * Verifies a signed entity and writes the signed inner entity's bytes to `sink`; with no sink only
 * the verdict is made, and none of the content is kept (a signed part shown from the message's own
 * bytes, `cachet verify` without -o).
 * Throws ERR_NOT_SIGNED when the entity is not an S/MIME signed entity.
 */
export async function verifySignedEntity(entity: MimeEntity, sink: ByteSink | undefined, options: VerifyOptions = {}): Promise<SignedLayerReport> {
  const form = signedForm(entity);
  if (form === 'detached') return verifyMultipartSigned(entity, sink, options);
  if (form === 'opaque') return verifyOpaque(entity, sink, options);
  const type = entity.headers.contentType();
  throw new CachetError('ERR_NOT_SIGNED', `the message is not S/MIME signed (it is ${type.mediaType}${type.params['smime-type'] ? `; smime-type=${type.params['smime-type']}` : ''})`);
}

async function verifyMultipartSigned(entity: MimeEntity, sink: ByteSink | undefined, options: VerifyOptions): Promise<SignedLayerReport> {
  const type = entity.headers.contentType();
  const boundary = type.params.boundary;
  if (!boundary) throw new CachetError('ERR_MIME_MALFORMED', 'the multipart/signed entity has no boundary parameter');
  const digests = digestsForMicalg(type.params.micalg);
  const raw = new AsSentFirstPart(boundary, sink, digests);
  const parts = splitMultipartSigned(raw.tap(entity.body), boundary);
  const hasher = await hashContent(parts.signedContent, sink, digests);
  const signaturePart = await readMimeEntity(toByteStream(await parts.signaturePart()));
  const signatureType = signaturePart.headers.contentType().mediaType;
  if (!SIGNATURE_PROTOCOLS.has(signatureType) && signatureType !== 'application/octet-stream') {
    throw new CachetError('ERR_MIME_MALFORMED', `the second part of the multipart/signed message is ${signatureType}, not an S/MIME signature`);
  }
  let der = await collectBytes(decodedBody(signaturePart), 16 * 1024 * 1024);
  if (der[0] !== 0x30 && /^\s*[A-Za-z0-9+/]{16}/.test(der.subarray(0, 64).toString('latin1'))) {
    // base64 without a Content-Transfer-Encoding field (seen from some gateways)
    der = await collectBytes(base64Decode(toByteStream(der)), 16 * 1024 * 1024);
  }
  const signed = await readSignedDataBuffer(der);
  let report = await checkSigners(signed, signed.trailer, hasher, { ...options, form: 'detached' });
  report.verifiedForm = 'canonical';
  let verifiedHasher = hasher;
  const asSent = report.signers.length > 0 && report.signers.every((s) => s.error?.code === 'ERR_DIGEST_MISMATCH') ? await raw.result() : undefined;
  if (asSent) {
    // The canonical CRLF form does not match: the signer may have signed the part's bytes as they
    // were sent (AS2, gateways signing binary parts). Checked over those, and released as those.
    const asSentHasher = asSent.hasher;
    if (!asSentHasher.digest('sha256')!.equals(hasher.digest('sha256')!)) {
      const asSentReport = await checkSigners(signed, signed.trailer, asSentHasher, { ...options, form: 'detached' });
      if (asSentReport.valid) {
        if (sink) {
          await sink.restart!();
          await sink.write(asSent.bytes!);
        }
        report = asSentReport;
        report.verifiedForm = 'as-sent';
        verifiedHasher = asSentHasher;
      }
    }
  }
  if (signed.contentBytes && signed.contentBytes.length > 0) {
    // A "detached" signature that also embeds content: the two must agree, or the reader would be
    // shown content other than what was signed.
    const embedded = await hashContent(toByteStream(signed.contentBytes), undefined, ['sha256']);
    if (!embedded.digest('sha256')!.equals(verifiedHasher.digest('sha256')!)) {
      for (const signer of report.signers) {
        signer.valid = false;
        signer.error = { code: 'ERR_DIGEST_MISMATCH', message: 'the signature embeds content that differs from the signed part' };
      }
      report.valid = false;
    }
  }
  return report;
}

/**
 * The first part of a multipart/signed body as it was sent, taken as the body streams beside the
 * canonical form the splitter gives, for the check over those bytes. Only what that check needs is
 * kept, bounded whatever the size:
 * - no sink (only the verdict is wanted): the bytes are hashed as they pass, none is kept;
 * - a sink that can take back what it was given (ByteSink.restart): a copy of the part up to
 *   MULTIPART_SIGNED_LIMITS.maxAsSentPartBytes, to release it in that form if only that form verifies
 *   (the reader must be shown the form that verified, nothing else); beyond, nothing;
 * - any other sink: nothing (it could not be given the other form).
 */
class AsSentFirstPart {
  private readonly part: FirstPartAsSent | undefined;
  private readonly hasher: ContentHasher | undefined;
  private copy: Buffer[] | undefined;
  private copied = 0;

  constructor(
    boundary: string,
    sink: ByteSink | undefined,
    private readonly digests: ReadableDigestAlgorithm[],
  ) {
    if (!sink) {
      const hasher = new ContentHasher(digests);
      this.hasher = hasher;
      this.part = new FirstPartAsSent(boundary, (bytes) => hasher.update(bytes));
    } else if (sink.restart) {
      const copy: Buffer[] = [];
      this.copy = copy;
      this.part = new FirstPartAsSent(boundary, (bytes) => {
        this.copied += bytes.length;
        if (this.copied > MULTIPART_SIGNED_LIMITS.maxAsSentPartBytes) this.copy = undefined;
        else this.copy?.push(Buffer.from(bytes)); // a copy: the input may be reused
      });
    }
  }

  async *tap(body: ByteStream): ByteStream {
    for await (const chunk of body) {
      // A copy past its bound stops looking: nothing more of it would be kept.
      if (this.hasher || this.copy) this.part?.update(chunk);
      yield chunk;
    }
  }

  /** After the body: the first part's digests, and its bytes where kept; undefined when not available. */
  async result(): Promise<{ hasher: ContentHasher; bytes?: Buffer } | undefined> {
    if (!(this.hasher || this.copy) || !this.part?.finish()) return undefined;
    if (this.hasher) {
      this.hasher.finish();
      return { hasher: this.hasher };
    }
    if (!this.copy) return undefined; // the part outgrew its bound while the body ended
    const bytes = Buffer.concat(this.copy);
    return { hasher: await hashContent(toByteStream(bytes), undefined, this.digests), bytes };
  }
}

async function verifyOpaque(entity: MimeEntity, sink: ByteSink | undefined, options: VerifyOptions): Promise<SignedLayerReport> {
  const source = new ByteSource(decodedBody(entity));
  let reading;
  try {
    reading = await readSignedData(source);
  } catch (error) {
    if (isCachetError(error, 'ERR_CMS_UNSUPPORTED')) throw new CachetError('ERR_NOT_SIGNED', `the S/MIME message is not signed data: ${error.message}`, { cause: error });
    throw error;
  }
  if (!reading.content) throw new CachetError('ERR_CONTENT_MISSING', 'the application/pkcs7-mime signed-data carries no content');
  return verifySignedData(reading, null, sink, { ...options, form: 'opaque' });
}

/**
 * Verifies a bare CMS SignedData (DER, PEM or base64): opaque, or detached with `content`.
 * The signed content goes to `sink` when one is given.
 */
export async function verifyCms(cms: ByteStream, options: VerifyOptions & { content?: ByteStream } = {}, sink?: ByteSink): Promise<SignedLayerReport> {
  const { content, ...verifyOptions } = options;
  const reading = await readSignedData(new ByteSource(await cmsInput(cms)));
  if (reading.content && content) {
    throw new CachetError('ERR_USAGE', 'the signature already contains its content; do not give --content');
  }
  return verifySignedData(reading, reading.content ? null : (content ?? null), sink, { ...verifyOptions, form: reading.content ? 'opaque' : 'detached' });
}

export { readCertsOnly, buildCertsOnly } from './certs-only.js';
