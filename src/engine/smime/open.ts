/**
 * The reader's view of a message (`cachet open`, `cachet read`, the web client): every S/MIME layer at
 * the root is unwrapped — decrypted, verified, nested (triple wrap) — and one overall status is
 * computed that never says more than the message proves.
 *
 * - valid: the MIME root is signed (possibly under encryption), every signature verifies, every chain
 *   is trusted, the certificates may sign mail, and a signer's address is the single From address;
 * - invalid: a signature does not verify;
 * - untrusted: the signatures verify but a chain does not (unknown CA, expired, revoked, usage);
 * - mismatch: valid and trusted, but no signer is the (single, well-formed) From address;
 * - partially-signed: a signed part sits inside unsigned content: the part is reported, not the message;
 * - not-signed.
 *
 * EFAIL: only the root (or the root under a signature) is decrypted. An encrypted part inside
 * unencrypted content is never decrypted into the view, so decrypted text is never merged with
 * unauthenticated content around it. Decrypted and verified bytes are held in a spool until their
 * verdict is known.
 */
import { CachetError, isCachetError } from '../../errors.js';
import type { Decryptor } from '../keys.js';
import type { CertificateValidator } from '../pki/validator.js';
import { peek, type ByteStream } from '../stream-types.js';
import { readMimeEntity } from '../mime/entity-reader.js';
import { headerBlock, parseHeaderBlock } from '../mime/headers.js';
import { BARE_CMS_SNIFF_BYTES, cmsInput, looksLikeBareCms } from './cms-input.js';
import { MIME_LIMITS, mimeLimitExceeded } from '../mime/limits.js';
import { readMultipart } from '../mime/multipart.js';
import type { MimeEntity, MimeHeaderBlock } from '../mime/types.js';
import { Spool, type SpoolReadOptions } from '../spool.js';
import { decryptEnvelopedEntity, type DecryptionReport } from './decrypt.js';
import { decompressEntity } from './decompress.js';
import { decodedBody, isPkcs7Mime } from './pkcs7-entity.js';
import type { SignedLayerReport, SignerReport, SignerSummary } from './reports.js';
import { readCertsOnly } from './certs-only.js';
import { verifySignedEntity, type VerifyOptions } from './verify.js';
import { classifyEntity, isEncryptedKind } from './entity-kind.js';
import { effectiveHeaders, MAX_EMBEDDED_HEADER_BYTES, protectedHeaderBlock, type EffectiveHeaders } from './protected-headers.js';
import { computeStatus, normaliseAddress, parseAddressList, type MessageStatus } from './status.js';
import { parseMailboxes } from '../mime/addresses.js';
import { headersNotCoveredBySignature, readerNotices, uncoveredHeadersWarning } from './reader-notices.js';

export { normaliseAddress, parseAddressList, type MessageStatus };

/** Layers deeper than this are refused (a triple wrap is three). */
export const MAX_LAYERS = 8;
/** DER of the content-type OIDs (as they appear at the start of a ContentInfo) and the layer each makes. */
const SNIFFED_CONTENT_TYPES: ReadonlyArray<[oidDerHex: string, kind: 'encrypted' | 'signed' | 'compressed']> = [
  ['06092a864886f70d010703', 'encrypted'], // envelopedData
  ['060b2a864886f70d0109100117', 'encrypted'], // authEnvelopedData
  ['06092a864886f70d010702', 'signed'], // signedData
  ['060b2a864886f70d0109100109', 'compressed'], // compressedData
];

export interface OpenOptions {
  /** The keys that may decrypt; a function is called only when an encrypted layer is met, so reading
   *  signed or plain mail never needs to unlock a vault or a token. None: signed or plain mail only
   *  (an encrypted layer is then ERR_NOT_A_RECIPIENT). */
  decryptors?: Decryptor[] | (() => Promise<Decryptor[]>);
  validator?: CertificateValidator;
  /** Validation time (default now), as `openssl -attime`. */
  at?: Date;
  /**
   * Certificates the reader already has (address book, `--certfile`), where a signer's certificate is
   * looked for when the message does not carry it (Outlook with "send my certificate" off, `-nocerts`).
   * They only help to find a public key: trust is still the validator's, the address the certificate's.
   */
  certificates?: Uint8Array[];
}

/** What each signed layer or part is verified with. */
function verifyOptionsOf(options: OpenOptions, at: Date): VerifyOptions {
  return { ...(options.validator ? { validator: options.validator } : {}), ...(options.certificates ? { certificates: options.certificates } : {}), at };
}

export type LayerReport =
  | (Omit<DecryptionReport, 'kind'> & { kind: 'encrypted' })
  | {
      kind: 'signed';
      form: 'detached' | 'opaque';
      valid: boolean;
      trusted: boolean | null;
      signers: SignerSummary[];
      error?: { code: string; message: string };
      /** See SignedLayerReport.verifiedForm. */
      verifiedForm?: 'canonical' | 'as-sent';
    }
  | { kind: 'certs-only'; certificates: number }
  /** RFC 3274 compressed data, unpacked: it proves nothing, and counts neither as signed nor as encrypted. */
  | { kind: 'compressed'; algorithm: 'zlib'; compressedBytes: number; decompressedBytes: number };

export interface SignedPartReport {
  /** Dotted position of the signed part in the MIME tree. */
  path: string;
  valid: boolean;
  trusted: boolean | null;
  signers: SignerSummary[];
}

export interface OpenReport {
  status: MessageStatus;
  encrypted: boolean;
  /** The From addresses of the effective (protected, when present) header. */
  from: string[];
  signers: SignerSummary[];
  layers: LayerReport[];
  /** All signatures verify; null when not signed. */
  valid: boolean | null;
  /** All chains trusted; null when not signed or no trust anchors were available. */
  trusted: boolean | null;
  /** The header shown: protected fields (RFC 9788, Thunderbird v1) over outer ones, differences listed. */
  headers: EffectiveHeaders;
  /**
   * The header fields shown ("subject", "date", …) that no signature covers, to be marked as such
   * wherever they are shown: all but a verified From when the headers are not protected. Empty for
   * a message that is not signed (its status says that nothing is proven).
   */
  unsignedHeaders: string[];
  /**
   * Decrypted from EnvelopedData (CBC: no integrity) with no signature inside the encryption: the
   * content may have been changed by whoever captured the message. Front ends mark it unauthenticated.
   */
  unauthenticatedEncryption: boolean;

  /** For partially-signed messages: the signed parts, and the parts outside any signature. */
  signedParts: SignedPartReport[];
  unsignedParts: string[];
  warnings: string[];
}

export interface OpenResult {
  report: OpenReport;
  /** The innermost entity (decrypted and unwrapped), released only because its verdict is in. */
  content: ByteStream;
  /**
   * The innermost entity again, for a reader that copies what it keeps (`reuse`: a large spilled
   * entity is then read into reused memory, see SpoolReadOptions).
   */
  readContent(options?: SpoolReadOptions): ByteStream;
  /** Certificates the message carried (for the address book). */
  certificates: Uint8Array[];
  /**
   * The content is a message/rfc822 wrapper of this message itself (RFC 8551 §3.1, RFC 9788's
   * forwarded=no): its embedded message is what a reader shows. False for a message/rfc822 content
   * that is someone else's message (a forward as attachment with no text part): an attachment.
   */
  wrapsMessage: boolean;
  /** The raw signed-layer reports (capabilities, key preference) for harvesting. */
  signedLayers: SignedLayerReport[];
  dispose(): Promise<void>;
}

export function summariseSigner(signer: SignerReport): SignerSummary {
  return {
    email: signer.email,
    subject: signer.subject,
    valid: signer.valid,
    trusted: signer.trusted,
    digest: signer.digestAlgorithm,
    signatureAlgorithm: signer.signatureAlgorithm,
    signingTime: signer.signingTime,
    weakAlgorithm: signer.weakAlgorithm,
    error: signer.error ?? signer.trustError ?? null,
    ...(signer.warnings ? { warnings: signer.warnings } : {}),
  };
}

export type LayerKind = 'encrypted' | 'signed' | 'certs-only' | 'compressed';

/** Whether an entity is S/MIME we can unwrap at this position, and how. */
function layerKind(entity: MimeEntity): LayerKind | undefined {
  const kind = classifyEntity(entity);
  if (isEncryptedKind(kind)) return 'encrypted';
  // undeclared: Outlook and old clients; the CMS content type decides (sniffed on read).
  return kind === 'signed' || kind === 'certs-only' || kind === 'compressed' ? kind : undefined;
}

/** Encoded bytes of a body's start read to find its ContentInfo's OID (in the first 64 decoded bytes). */
const SNIFFED_BYTES = 256;

/**
 * The CMS content type of a pkcs7-mime body, which decides how it is unwrapped: smime-type is missing
 * from Outlook's and old clients' mail, and a label is only a claim (a signed message labelled
 * enveloped-data must not ask for the user's keys). The first bytes are read, copied (the producer
 * may reuse its buffers) and handed back in front of the rest of the body.
 */
async function sniffPkcs7(entity: MimeEntity): Promise<{ kind: LayerKind | undefined; entity: MimeEntity }> {
  const { head: start, stream: body } = await peek(entity.body, SNIFFED_BYTES);
  // Lenient decoding is enough to find an OID: the real decoder reads the whole body later.
  const decoded = entity.headers.transferEncoding() === 'base64' ? Buffer.from(start.toString('latin1'), 'base64') : start;
  const hex = decoded.subarray(0, 64).toString('hex');
  // The OID met first is the ContentInfo's (a later one may be the content's own type).
  let kind: LayerKind | undefined;
  let first = Infinity;
  for (const [oid, sniffed] of SNIFFED_CONTENT_TYPES) {
    const at = hex.indexOf(oid);
    if (at !== -1 && at % 2 === 0 && at < first) [first, kind] = [at, sniffed];
  }
  return { kind, entity: { ...entity, body } };
}

/**
 * The layer an entity makes, the one answer for open() and for a folder listing: what its content is
 * where it is pkcs7-mime (its ContentInfo's type, sniffPkcs7: a label is only a claim; a body that
 * names no known type keeps the label's), else what its header says (classifyEntity). `labelled`: the
 * header's word; `entity`: the same entity, the sniffed bytes handed back in front of its body.
 */
export async function layerOf(entity: MimeEntity): Promise<{ kind: LayerKind | undefined; labelled: LayerKind | undefined; entity: MimeEntity }> {
  const labelled = layerKind(entity);
  if (!isPkcs7Mime(entity) || labelled === 'certs-only') return { kind: labelled, labelled, entity };
  const sniffed = await sniffPkcs7(entity);
  return { kind: sniffed.kind ?? labelled, labelled, entity: sniffed.entity };
}

/** The header block with its Content-Type reduced to application/pkcs7-mime (no smime-type, no name). */
function withoutSmimeType(headers: MimeHeaderBlock): MimeHeaderBlock {
  return headerBlock(headers.fields.map((field) => (field.name.toLowerCase() === 'content-type' ? { ...field, value: 'application/pkcs7-mime' } : field)));
}

/**
 * The root entity of the input. Besides a whole message, `cachet open` takes a bare CMS object
 * (issue 2: "Input may be a whole message, or a bare CMS object"): it is given a synthetic
 * pkcs7-mime header without smime-type, so the CMS content type decides how it is unwrapped.
 */
async function readRootEntity(message: ByteStream): Promise<MimeEntity> {
  const { head, stream: whole } = await peek(message, BARE_CMS_SNIFF_BYTES);
  if (!looksLikeBareCms(head)) return readMimeEntity(whole);
  const headerBytes = Buffer.from('Content-Type: application/pkcs7-mime; name=smime.p7m\r\nContent-Transfer-Encoding: binary\r\n\r\n');
  return { headers: parseHeaderBlock(headerBytes), headerBytes, body: await cmsInput(whole) };
}

/** An empty MIME header: a body after it has RFC 2045's defaults (text/plain; charset=us-ascii). */
const EMPTY_HEADER = Buffer.from('\r\n');

async function* withEmptyHeader(content: ByteStream): ByteStream {
  yield EMPTY_HEADER;
  yield* content;
}

/**
 * The entity a layer unwrapped. CMS content need not be MIME: `openssl smime -sign` or `-encrypt`
 * without -text wraps a bare file. Content that does not read as a MIME entity (its first lines are
 * not header fields, or no header block ends) is taken as a body with an empty header, and released
 * with that empty header (a leading blank line), so that every reader after this one sees a
 * well-formed entity: plain text, never a failure to open the message.
 */
async function readInnerEntity(spool: Spool): Promise<{ entity: MimeEntity; bare: boolean }> {
  try {
    return { entity: await readMimeEntity(spool.read()), bare: false };
  } catch (error) {
    if (!isCachetError(error) || (error.code !== 'ERR_MIME_MALFORMED' && error.code !== 'ERR_LIMIT_EXCEEDED')) throw error;
    return { entity: await readMimeEntity(withEmptyHeader(spool.read())), bare: true };
  }
}

export async function openMessage(message: ByteStream, options: OpenOptions): Promise<OpenResult> {
  const at = options.at ?? new Date();
  const spools: Spool[] = [];
  const layers: LayerReport[] = [];
  const signedLayers: SignedLayerReport[] = [];
  const certificates: Uint8Array[] = [];
  const warnings: string[] = [];
  let encrypted = false;
  /** The spool the last layer unwrapped into, and whether that content came without a MIME header. */
  let innermost: Spool | undefined;
  let bare = false;
  let current = await readRootEntity(message);
  const outerHeaders = current.headers;
  const dispose = async () => {
    for (const spool of spools) await spool.dispose();
  };
  try {
    for (let depth = 0; ; depth++) {
      const layer = await layerOf(current);
      const { kind, labelled } = layer;
      current = layer.entity;
      if (kind === undefined) break;
      if (depth >= MAX_LAYERS) throw new CachetError('ERR_LIMIT_EXCEEDED', `more than ${MAX_LAYERS} S/MIME layers`);
      if (innermost && (kind === 'encrypted' || kind === 'signed')) {
        // Decryption and verification copy what they keep: the layer below is read again, into
        // reused memory (a spilled layer read in fresh chunks raised the peak RSS of opening a
        // signed and encrypted 256 MiB message above 128 MB).
        current = await readMimeEntity(innermost.read({ reuse: true }));
      }
      // A wrong label (a signed message labelled enveloped-data, which asked for the user's keys) is
      // set aside: without smime-type, each reader takes the content for what it is.
      if (labelled !== undefined && kind !== labelled) current = { ...current, headers: withoutSmimeType(current.headers) };
      if (kind === 'certs-only') {
        const found = await readCertsOnly(decodedBody(current));
        certificates.push(...found);
        layers.push({ kind: 'certs-only', certificates: found.length });
        break;
      }
      const spool = new Spool();
      spools.push(spool);
      if (kind === 'compressed') {
        const report = await decompressEntity(current, spool);
        layers.push({ kind: 'compressed', algorithm: report.algorithm, compressedBytes: report.compressedBytes, decompressedBytes: report.decompressedBytes });
      } else if (kind === 'encrypted') {
        const decryptors = typeof options.decryptors === 'function' ? await options.decryptors() : (options.decryptors ?? []);
        const report = await decryptEnvelopedEntity(current, spool, { decryptors });
        layers.push({ ...report, kind: 'encrypted' });
        encrypted = true;
      } else {
        const report = await verifySignedEntity(current, spool, verifyOptionsOf(options, at));
        signedLayers.push(report);
        certificates.push(...report.certificates);
        layers.push({ kind: 'signed', form: report.form, valid: report.valid, trusted: report.trusted, signers: report.signers.map(summariseSigner), ...(report.error ? { error: report.error } : {}), ...(report.verifiedForm ? { verifiedForm: report.verifiedForm } : {}) });
      }
      innermost = spool;
      ({ entity: current, bare } = await readInnerEntity(spool));
    }

    // The innermost entity: release it from the last layer's spool (or, unwrapped nothing, from the input).
    let contentSpool = innermost;
    if (!contentSpool) {
      contentSpool = new Spool();
      spools.push(contentSpool);
      await contentSpool.write(current.headerBytes);
      for await (const chunk of current.body) await contentSpool.write(chunk);
    }
    const spooled = contentSpool;
    const released = (readOptions?: SpoolReadOptions): ByteStream => (bare ? withEmptyHeader(spooled.read(readOptions)) : spooled.read(readOptions));
    // Inside the innermost entity: signed parts within unsigned content, encrypted parts not opened.
    // The parts are walked as they stream from the spool, in memory bounded whatever the size; the
    // walk copies what it keeps (part headers, partial lines; signed parts are verified as for a layer).
    const signedParts: SignedPartReport[] = [];
    const unsignedParts: string[] = [];
    await scanParts(await readMimeEntity(released({ reuse: true })), '', 0, { signedParts, unsignedParts, warnings, options, at, certificates, parts: 0 });

    // Protected headers exist only under a layer at the root: the innermost entity's own header.
    // (A compressed layer alone protects nothing: its inner header is no more authentic than the outer.)
    const unwrapped = layers.some((l) => l.kind === 'encrypted' || l.kind === 'signed');
    let innerHeaders: MimeHeaderBlock | undefined;
    let wrapsMessage = false;
    if (unwrapped) {
      const inner = await readMimeEntity(released());
      // An RFC 8551 §3.1 message/rfc822 wrapper carries the protected header at the start of its body.
      const embedded = inner.headers.contentType().mediaType === 'message/rfc822' ? await firstBytes(inner.body, MAX_EMBEDDED_HEADER_BYTES) : undefined;
      innerHeaders = protectedHeaderBlock(inner.headers, () => embedded, outerHeaders);
      wrapsMessage = embedded !== undefined && innerHeaders !== inner.headers;
    }
    const headers = effectiveHeaders(outerHeaders, innerHeaders);
    // The status and the From shown come from one parse of the raw field (addresses.ts).
    const from = headers.fromMailboxes.map((m) => m.address);
    const signers = signedLayers.flatMap((l) => l.signers.map(summariseSigner));
    const status = computeStatus(signedLayers, signedParts.length, from);
    const innerFromField = innerHeaders?.get('from');
    const notices = readerNotices(layers, innerFromField === undefined ? undefined : parseMailboxes(innerFromField), headers.fromMailboxes);
    warnings.push(...notices.warnings);
    const unsignedHeaders = headersNotCoveredBySignature(status, headers.unprotected);
    const uncovered = uncoveredHeadersWarning(unsignedHeaders, headers.protected);
    if (uncovered) warnings.push(uncovered);
    if (bare) warnings.push('the content carries no MIME header (made without MIME, as by openssl smime without -text): it is shown as plain text');
    for (const signer of signers) if (signer.weakAlgorithm) warnings.push(`${signer.email[0] ?? signer.subject} signed with a weak algorithm (${signer.digest})`);
    for (const signer of signers) for (const warning of signer.warnings ?? []) warnings.push(`${signer.email[0] ?? signer.subject}: ${warning}`);
    for (const layer of signedLayers) if (layer.error) warnings.push(layer.error.message);
    if (signedLayers.some((l) => l.verifiedForm === 'as-sent')) {
      warnings.push('the signed part verified over its bytes as sent, not in canonical CRLF form (as AS2 gateways sign binary parts): it is shown exactly as sent');
    }
    const report: OpenReport = {
      status,
      encrypted,
      from: from.filter((a): a is string => a !== undefined),
      signers: signers.length > 0 ? signers : signedParts.flatMap((p) => p.signers),
      layers,
      valid: signedLayers.length === 0 ? null : signedLayers.every((l) => l.valid),
      trusted: signedLayers.length === 0 ? null : signedLayers.some((l) => l.trusted === null) ? null : signedLayers.every((l) => l.trusted === true),
      headers,
      unsignedHeaders,
      unauthenticatedEncryption: notices.unauthenticatedEncryption,
      signedParts,
      unsignedParts: status === 'partially-signed' ? unsignedParts : [],
      warnings,
    };
    return { report, content: released(), readContent: released, certificates, wrapsMessage, signedLayers, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** The first `limit` bytes of a stream (or all of it, if shorter); the rest is not read. */
async function firstBytes(stream: AsyncIterable<Uint8Array>, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    length += chunk.byteLength;
    if (length >= limit) break;
  }
  return Buffer.concat(parts).subarray(0, limit);
}

interface ScanContext {
  signedParts: SignedPartReport[];
  unsignedParts: string[];
  warnings: string[];
  options: OpenOptions;
  at: Date;
  certificates: Uint8Array[];
  /** Parts met so far, at every level (MIME_LIMITS.maxParts bounds the whole message, not one multipart). */
  parts: number;
}

/**
 * The EFAIL and partial-signature scan: signed parts inside unsigned content are verified (their
 * content is not kept: it is shown from the message's own bytes), encrypted parts are named and never
 * decrypted. Each part is classified and verified as it streams.
 */
async function scanParts(entity: MimeEntity, path: string, depth: number, context: ScanContext): Promise<void> {
  const type = entity.headers.contentType();
  if (type.type !== 'multipart' || !type.params['boundary']) return;
  if (depth >= MIME_LIMITS.maxDepth) throw mimeLimitExceeded('maxDepth', 'the message nests MIME parts too deeply');
  let index = 0;
  try {
    for await (const part of readMultipart(entity)) {
      index++;
      if (++context.parts > MIME_LIMITS.maxParts) throw mimeLimitExceeded('maxParts', 'the message has too many MIME parts');
      const partPath = path ? `${path}.${index}` : String(index);
      const kind = layerKind(part);
      if (kind === 'signed') {
        try {
          const { options, at } = context;
          // No sink: a signed part is shown from the message's own bytes, its verified content not kept.
          const report = await verifySignedEntity(part, undefined, verifyOptionsOf(options, at));
          context.certificates.push(...report.certificates);
          context.signedParts.push({ path: partPath, valid: report.valid, trusted: report.trusted, signers: report.signers.map(summariseSigner) });
        } catch (error) {
          if (!isCachetError(error)) throw error;
          context.signedParts.push({ path: partPath, valid: false, trusted: null, signers: [] });
        }
      } else if (kind === 'encrypted' || (isPkcs7Mime(part) && kind === undefined)) {
        context.warnings.push(`part ${partPath} is encrypted inside unencrypted content; it was not decrypted (it could be used to leak its plaintext)`);
        context.unsignedParts.push(partPath);
      } else if (part.headers.contentType().type === 'multipart') {
        await scanParts(part, partPath, depth + 1, context);
      } else context.unsignedParts.push(partPath);
    }
  } catch (error) {
    if (!isCachetError(error) || error.code !== 'ERR_MIME_MALFORMED') throw error;
    // A damaged structure ends the walk; what follows is shown as unsigned, never as signed.
    context.warnings.push(`the MIME structure after part ${path ? `${path}.${index}` : index} could not be read: ${error.message}`);
    context.unsignedParts.push(path || 'root');
  }
}
