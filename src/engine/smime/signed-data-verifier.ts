/**
 * Verifies a SignedData being read: hashes the content as it streams to the sink, then checks every
 * SignerInfo (RFC 5652 §5.6) and asks the validator about each signer's certificate.
 */
import { createHash, type Hash } from 'node:crypto';
import { CachetError, isCachetError } from '../../errors.js';
import type { ReadableDigestAlgorithm } from '../keys.js';
import { OID, oidName } from '../oids.js';
import type { CertificateValidator } from '../pki/validator.js';
import type { ByteSink, ByteStream } from '../stream-types.js';
import {
  digestByOid,
  isWeakDigest,
  parseDigestAlgorithm,
  parseSignatureAlgorithm,
  publicKeyFromSpki,
  verifySignatureBytes,
} from '../cms/algorithms.js';
import { certificateEmails, certificateSubject, findCertificate, issuerAndSerialNumber, nameDerToString, subjectNameDer, subjectPublicKeyInfo, type CertificateIdentifier } from '../cms/cert-id.js';
import { derBytes, derChildren, derNode, derOid, derTlv } from '../cms/der-walk.js';
import { parseSignedAttributes, type ParsedSignedAttributes } from '../cms/signed-attributes.js';
import { parseSignerInfo } from '../cms/signer-info.js';
import type { SignedDataReading } from '../cms/signed-data-reader.js';
import type { ReportError, SignedLayerReport, SignerReport } from './reports.js';

export interface VerifyOptions {
  /** Asked about each signer's certificate; without one, `trusted` is null. */
  validator?: CertificateValidator;
  /** Validation time (default now). */
  at?: Date;
  /** More certificates that may hold a signer's certificate (the message may not carry it). */
  certificates?: Uint8Array[];
}

/** Content up to this size is also kept, to check signatures without signed attributes or an
 *  unannounced digest algorithm; beyond it only the streaming digests are available. */
const KEEP_CONTENT_BYTES = 1024 * 1024;

export class ContentHasher {
  private readonly hashes = new Map<ReadableDigestAlgorithm, Hash>();
  private kept: Uint8Array[] | null = [];
  private keptLength = 0;
  private results: Map<ReadableDigestAlgorithm, Buffer> | null = null;

  constructor(digests: Iterable<ReadableDigestAlgorithm>) {
    for (const d of digests) if (!this.hashes.has(d)) this.hashes.set(d, createHash(d));
  }

  update(chunk: Uint8Array): void {
    for (const hash of this.hashes.values()) hash.update(chunk);
    if (this.kept) {
      this.keptLength += chunk.length;
      if (this.keptLength > KEEP_CONTENT_BYTES) this.kept = null;
      else this.kept.push(Buffer.from(chunk)); // copy: upstream buffers may be reused
    }
  }

  finish(): void {
    this.results = new Map([...this.hashes].map(([d, h]) => [d, h.digest()]));
  }

  digest(algorithm: ReadableDigestAlgorithm): Buffer | undefined {
    const done = this.results?.get(algorithm);
    if (done) return done;
    if (!this.kept) return undefined;
    const hash = createHash(algorithm);
    for (const part of this.kept) hash.update(part);
    const value = hash.digest();
    this.results?.set(algorithm, value);
    return value;
  }

  content(): Buffer | undefined {
    return this.kept ? Buffer.concat(this.kept) : undefined;
  }
}

/** Digest algorithms named by the SignedData (unknown ones are skipped: the signer will report them). */
export function announcedDigests(digestAlgorithms: Uint8Array[]): ReadableDigestAlgorithm[] {
  const out: ReadableDigestAlgorithm[] = [];
  for (const der of digestAlgorithms) {
    try {
      out.push(parseDigestAlgorithm(der));
    } catch {
      // reported per signer
    }
  }
  return out;
}

/**
 * Streams the content to `sink` (and through the digests), then verifies every signer.
 * `detachedContent` is the content of a detached signature; it is refused when the SignedData
 * encapsulates content of its own.
 */
export async function verifySignedData(
  reading: SignedDataReading,
  detachedContent: ByteStream | null,
  sink: ByteSink | undefined,
  options: VerifyOptions & { form: 'detached' | 'opaque'; digests?: Iterable<ReadableDigestAlgorithm> },
): Promise<SignedLayerReport> {
  const content = reading.content ?? detachedContent;
  if (!content) throw new CachetError('ERR_CONTENT_MISSING', 'this is a detached signature: give the signed content as well (--content FILE)');
  const digests = new Set<ReadableDigestAlgorithm>([...announcedDigests(reading.digestAlgorithms), ...(options.digests ?? [])]);
  if (digests.size === 0) digests.add('sha256');
  const hasher = new ContentHasher(digests);
  for await (const chunk of content) {
    hasher.update(chunk);
    if (sink) await sink.write(chunk);
  }
  hasher.finish();
  const trailer = await reading.finish();
  return checkSigners(reading, trailer, hasher, options);
}

/** Checks the SignerInfos of a SignedData whose content digests are known. */
export async function checkSigners(
  reading: Pick<SignedDataReading, 'contentType'>,
  trailer: { certificates: Uint8Array[]; signerInfos: Uint8Array[] },
  hasher: Pick<ContentHasher, 'digest' | 'content'>,
  options: VerifyOptions & { form: 'detached' | 'opaque' },
): Promise<SignedLayerReport> {
  const pool = [...trailer.certificates, ...(options.certificates ?? [])];
  const signers: SignerReport[] = [];
  for (const signerInfo of trailer.signerInfos) {
    signers.push(await checkSigner(signerInfo, reading.contentType, pool, hasher, options));
  }
  const valid = signers.length > 0 && signers.every((s) => s.valid);
  const trusted = options.validator ? signers.length > 0 && signers.every((s) => s.trusted === true) : null;
  const layer: SignedLayerReport = { kind: 'signed', form: options.form, signers, valid, trusted, certificates: trailer.certificates, contentType: reading.contentType };
  // A SignedData with no SignerInfo (a certs-only message, or one stripped of its signature) proves
  // nothing; it is invalid as signed content, and says why rather than leaving an empty signer list.
  if (signers.length === 0) layer.error = { code: 'ERR_NO_SIGNERS', message: 'the signed data carries no signature (its SignerInfos are empty): nothing shows who wrote it' };
  return layer;
}

function describeIdentifier(id: CertificateIdentifier): string {
  if (id.kind === 'subjectKeyIdentifier') return `subjectKeyIdentifier ${Buffer.from(id.keyIdentifier).toString('hex')}`;
  let issuer: string;
  try {
    issuer = nameDerToString(id.issuer);
  } catch {
    issuer = '(unreadable issuer)';
  }
  return `serial ${Buffer.from(id.serialNumber).toString('hex')} issued by ${issuer}`;
}

/** The warning for a signature whose signed attributes omit contentType (see checkSigner). */
export const CONTENT_TYPE_UNSIGNED = 'the signed attributes lack contentType (RFC 5652 §5.3; older gpgsm omitted it): the content is read as plain data, a type the signature does not name';

function toReportError(error: unknown): ReportError {
  if (isCachetError(error)) return { code: error.code, message: error.message };
  return { code: 'ERR_CMS_MALFORMED', message: 'the signer information could not be read' };
}

async function checkSigner(
  der: Uint8Array,
  contentType: string,
  pool: Uint8Array[],
  hasher: Pick<ContentHasher, 'digest' | 'content'>,
  options: VerifyOptions,
): Promise<SignerReport> {
  const report: SignerReport = {
    subject: '(unknown signer)',
    email: [],
    digestAlgorithm: 'unknown',
    signatureAlgorithm: 'unknown',
    signingTime: null,
    valid: false,
    trusted: options.validator ? false : null,
    weakAlgorithm: false,
    error: null,
    capabilities: [],
  };
  let signingTime: Date | null = null;
  try {
    const info = parseSignerInfo(der);
    report.subject = describeIdentifier(info.sid);
    const certificate = findCertificate(pool, info.sid);
    if (certificate) {
      report.certificate = certificate;
      try {
        report.subject = certificateSubject(certificate);
        report.email = certificateEmails(certificate);
      } catch (error) {
        throw new CachetError('ERR_CERT_MALFORMED', "the signer's certificate could not be read", { cause: error });
      }
    }
    const digestOid = derOid(info.digestAlgorithm, derChildren(info.digestAlgorithm, derNode(info.digestAlgorithm))[0]!);
    const digest = digestByOid(digestOid);
    report.digestAlgorithm = digest;
    const algorithm = parseSignatureAlgorithm(info.signatureAlgorithm, digest);
    report.signatureAlgorithm = algorithm.name;
    // DSA is weak whatever its digest: withdrawn for new signatures (FIPS 186-5), read for old PKIs.
    report.weakAlgorithm = isWeakDigest(digest) || (algorithm.hash !== null && isWeakDigest(algorithm.hash)) || algorithm.scheme === 'dsa';

    let attributes: ParsedSignedAttributes | null = null;
    if (info.signedAttributes) {
      attributes = parseSignedAttributes(info.signedAttributes);
      signingTime = attributes.signingTime;
      report.signingTime = signingTime ? signingTime.toISOString() : null;
      report.capabilities = attributes.capabilities;
      if (attributes.encryptionKeyPreference) {
        const { identifier, ...rest } = attributes.encryptionKeyPreference;
        const named = findCertificate(pool, identifier);
        report.encryptionKeyPreference = { ...rest, ...(named ? { certificate: named } : {}) };
      }
    } else if (contentType !== OID.id_data) {
      // RFC 5652 §5.3: signed attributes MUST be present when the content type is not id-data.
      throw new CachetError('ERR_CMS_MALFORMED', `signed attributes are required for ${oidName(contentType)} content`);
    }
    if (!certificate) {
      throw new CachetError('ERR_SIGNER_CERT_MISSING', `the signer's certificate (${report.subject}) is not in the message`);
    }
    const publicKey = publicKeyFromSpki(spkiWithInheritedParameters(certificate, pool));

    if (attributes) {
      if (attributes.contentType === null) {
        // RFC 5652 §5.3 requires contentType whenever there are signed attributes; it binds how the
        // content is to be read. gpgsm (and NSS) accept its absence, OpenSSL 3 and BouncyCastle refuse.
        // For id-data, the only type mail is read as, nothing is reinterpreted: accepted, with a
        // warning. Any other type needs the binding: refused.
        if (contentType !== OID.id_data) {
          throw new CachetError('ERR_CMS_MALFORMED', `the signed attributes lack contentType, which must bind ${oidName(contentType)} content (RFC 5652 §5.3)`);
        }
        report.warnings = [...(report.warnings ?? []), CONTENT_TYPE_UNSIGNED];
      } else if (attributes.contentType !== contentType) {
        throw new CachetError('ERR_SIGNATURE_INVALID', `the signed contentType (${oidName(attributes.contentType)}) differs from the content's (${oidName(contentType)})`);
      }
      const actual = hasher.digest(digest);
      if (!actual) {
        throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the signer used ${digest}, which the message did not announce, and the content is too large to hash again`);
      }
      if (!actual.equals(attributes.messageDigest)) {
        report.error = { code: 'ERR_DIGEST_MISMATCH', message: 'the content was changed after it was signed (its digest does not match the signed one)' };
        return report;
      }
      if (!verifySignatureBytes(publicKey, algorithm, info.signedAttributes!, info.signature)) {
        report.error = { code: 'ERR_SIGNATURE_INVALID', message: 'the signature does not verify with the signer\'s certificate' };
        return report;
      }
    } else {
      const content = hasher.content();
      if (!content) throw new CachetError('ERR_LIMIT_EXCEEDED', 'a signature without signed attributes over more than 1 MiB of content cannot be checked');
      if (!verifySignatureBytes(publicKey, algorithm, content, info.signature)) {
        report.error = { code: 'ERR_SIGNATURE_INVALID', message: 'the signature does not verify with the signer\'s certificate' };
        return report;
      }
    }
    report.valid = true;
  } catch (error) {
    report.error = toReportError(error);
    return report;
  }

  if (options.validator && report.certificate) {
    try {
      const result = await options.validator.validate({
        certificate: report.certificate,
        intermediates: pool.filter((c) => c !== report.certificate),
        purpose: 'signing',
        at: options.at ?? new Date(),
        ...(signingTime ? { signingTime } : {}),
      });
      report.trusted = result.trusted;
      report.chain = result.chain;
      // A legacy certificate the policy let pass (SHA-1, a short RSA key) is weak evidence, and flagged as such.
      if (result.warnings?.length) {
        report.weakAlgorithm = true;
        // The validator's own sentences say which certificate is weak and why.
        report.warnings = [...(report.warnings ?? []), ...result.warnings];
      }
      if (result.revocation) report.revocation = result.revocation;
      if (!result.trusted) {
        report.trustError = result.error ?? { code: 'ERR_CHAIN_UNTRUSTED', message: 'the certificate does not chain to a trusted anchor' };
        report.error = report.trustError;
      }
    } catch (error) {
      report.trusted = false;
      report.trustError = toReportError(error);
      report.error = report.trustError;
    }
  }
  return report;
}

/** Streams content to `sink` through the given digests (the detached content of multipart/signed). */
export async function hashContent(content: ByteStream, sink: ByteSink | undefined, digests: Iterable<ReadableDigestAlgorithm>): Promise<ContentHasher> {
  const hasher = new ContentHasher(digests);
  for await (const chunk of content) {
    hasher.update(chunk);
    if (sink) await sink.write(chunk);
  }
  hasher.finish();
  return hasher;
}

/**
 * The certificate's SubjectPublicKeyInfo, with DSA domain parameters taken from the issuer when the
 * certificate omits them (RFC 3279 §2.3.2 parameter inheritance, as in RFC 4134's DianeDSS).
 */
function spkiWithInheritedParameters(certificate: Uint8Array, pool: Uint8Array[]): Uint8Array {
  const spki = subjectPublicKeyInfo(certificate);
  const node = derNode(spki);
  const [algorithm, key] = derChildren(spki, node);
  if (!algorithm || !key) return spki;
  const [oid, params] = derChildren(spki, algorithm);
  if (!oid || params || derOid(spki, oid) !== OID.id_dsa) return spki;
  const issuerName = Buffer.from(issuerAndSerialNumber(certificate).issuer);
  for (const candidate of pool) {
    try {
      if (candidate === certificate || !issuerName.equals(subjectNameDer(candidate))) continue;
      const inherited = spkiWithInheritedParameters(candidate, pool.filter((c) => c !== candidate));
      const [issuerAlgorithm] = derChildren(inherited, derNode(inherited));
      const [issuerOid, issuerParams] = derChildren(inherited, issuerAlgorithm!);
      if (!issuerParams || derOid(inherited, issuerOid!) !== OID.id_dsa) continue;
      return derTlv(0x30, derTlv(0x30, derBytes(spki, oid), derBytes(inherited, issuerParams)), derBytes(spki, key));
    } catch {
      // not a usable issuer
    }
  }
  return spki;
}
