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
import { domainToASCII } from 'node:url';
import { CachetError, isCachetError } from '../errors.js';
import type { Decryptor } from '../keys.js';
import type { CertificateValidator } from '../pki/validator.js';
import type { ByteStream } from '../stream-types.js';
import { toByteStream } from '../stream-types.js';
import { readMimeEntity } from '../mime/entity-reader.js';
import { decodeEncodedWords } from '../mime/headers.js';
import { parseMimeTree, type MimePart } from '../mime/mime-tree.js';
import type { MimeEntity, MimeHeaderBlock } from '../mime/types.js';
import { Spool } from '../spool.js';
import { decryptEnvelopedEntity, type DecryptionReport } from './decrypt.js';
import { declaredSmimeType, decodedBody, isPkcs7Mime } from './pkcs7-entity.js';
import type { SignedLayerReport, SignerReport } from './reports.js';
import { readCertsOnly } from './certs-only.js';
import { signedForm, verifySignedEntity } from './verify.js';

export type MessageStatus = 'valid' | 'invalid' | 'untrusted' | 'mismatch' | 'partially-signed' | 'not-signed';

/** Layers deeper than this are refused (a triple wrap is three). */
export const MAX_LAYERS = 8;
/** The innermost entity is scanned for signed parts inside unsigned content up to this size. */
export const MAX_SCANNED_BYTES = 64 * 1024 * 1024;
const PROTECTED_FIELDS = ['from', 'to', 'cc', 'reply-to', 'subject', 'date', 'message-id'] as const;
/** DER of the content-type OIDs, as they appear at the start of a ContentInfo. */
const SIGNED_OID_DER = '06092a864886f70d010702';
const ENVELOPED_OID_DER = '06092a864886f70d010703';
const AUTH_ENVELOPED_OID_DER = '060b2a864886f70d0109100117';

export interface OpenOptions {
  decryptors: Decryptor[];
  validator?: CertificateValidator;
  /** Validation time (default now), as `openssl -attime`. */
  at?: Date;
}

export interface SignerSummary {
  email: string[];
  subject: string;
  valid: boolean;
  trusted: boolean | null;
  digest: string;
  signatureAlgorithm: string;
  signingTime: string | null;
  weakAlgorithm: boolean;
  error: { code: string; message: string } | null;
}

export type LayerReport =
  | (Omit<DecryptionReport, 'kind'> & { kind: 'encrypted' })
  | { kind: 'signed'; form: 'detached' | 'opaque'; valid: boolean; trusted: boolean | null; signers: SignerSummary[] }
  | { kind: 'certs-only'; certificates: number };

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
  headers: {
    subject: string | null;
    from: string | null;
    to: string | null;
    cc: string | null;
    date: string | null;
    /** Whether the headers shown come from inside the signature/encryption (RFC 9788). */
    protected: boolean;
    /** Protected fields that differ from the unprotected outer ones. */
    differences: Array<{ field: string; outer: string | null; protected: string | null }>;
  };
  /** For partially-signed messages: the signed parts, and the parts outside any signature. */
  signedParts: SignedPartReport[];
  unsignedParts: string[];
  warnings: string[];
}

export interface OpenResult {
  report: OpenReport;
  /** The innermost entity (decrypted and unwrapped), released only because its verdict is in. */
  content: ByteStream;
  /** Certificates the message carried (for the address book). */
  certificates: Uint8Array[];
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
  };
}

/** The addresses of a From-like header value ("Name <a@b>, c@d"); undefined entries when malformed. */
export function parseAddressList(value: string | undefined): Array<string | undefined> {
  if (value === undefined) return [];
  const items: string[] = [];
  let current = '';
  let quoted = false;
  let angle = 0;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === '<') angle++;
    if (!quoted && ch === '>') angle = Math.max(0, angle - 1);
    if (ch === ',' && !quoted && angle === 0) {
      items.push(current);
      current = '';
    } else current += ch;
  }
  items.push(current);
  return items
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => {
      const address = (/<([^<>]*)>\s*$/.exec(item)?.[1] ?? item).trim();
      return /^[^\s@<>()",;:]+@[^\s@<>()",;:]+$/.test(address) ? normaliseAddress(address) : undefined;
    });
}

/** Lower-cased, with the domain in its ASCII (A-label) form (RFC 8398 comparison). */
export function normaliseAddress(address: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = domainToASCII(address.slice(at + 1).toLowerCase()) || address.slice(at + 1).toLowerCase();
  return `${local.toLowerCase()}@${domain}`;
}

function headerValue(headers: MimeHeaderBlock, name: string): string | null {
  const value = headers.get(name);
  return value === undefined ? null : decodeEncodedWords(value);
}

function effectiveHeaders(outer: MimeHeaderBlock, inner: MimeHeaderBlock | undefined): OpenReport['headers'] {
  const useInner = inner !== undefined && PROTECTED_FIELDS.some((f) => inner.get(f) !== undefined);
  const source = useInner ? inner! : outer;
  const differences: OpenReport['headers']['differences'] = [];
  if (useInner) {
    for (const field of PROTECTED_FIELDS) {
      const protectedValue = headerValue(inner!, field);
      const outerValue = headerValue(outer, field);
      // RFC 9788 §4.2: an encrypted message's outer Subject is obscured as "[...]": that is expected.
      const obscured = field === 'subject' && (outerValue === '[...]' || outerValue === '...');
      if (protectedValue !== null && protectedValue !== outerValue && !obscured) differences.push({ field, outer: outerValue, protected: protectedValue });
    }
  }
  return {
    subject: headerValue(source, 'subject'),
    from: headerValue(source, 'from'),
    to: headerValue(source, 'to'),
    cc: headerValue(source, 'cc'),
    date: headerValue(source, 'date'),
    protected: useInner,
    differences,
  };
}

/** Whether an entity is S/MIME we can unwrap at this position, and how. */
function layerKind(entity: MimeEntity): 'encrypted' | 'signed' | 'certs-only' | undefined {
  if (isPkcs7Mime(entity)) {
    const type = declaredSmimeType(entity);
    if (type === 'enveloped-data' || type === 'authenveloped-data') return 'encrypted';
    if (type === 'certs-only') return 'certs-only';
    if (type === 'signed-data') return 'signed';
    // smime-type missing: Outlook and old clients; the CMS content type decides (sniffed on read).
    return undefined;
  }
  return signedForm(entity) === 'detached' ? 'signed' : undefined;
}

/**
 * smime-type missing (Outlook, old clients): the CMS content type decides. The body is spooled, its
 * first decoded bytes read for the ContentInfo's OID, and the entity handed back whole.
 */
async function sniffPkcs7(entity: MimeEntity, spools: Spool[]): Promise<{ kind: 'encrypted' | 'signed' | undefined; entity: MimeEntity }> {
  const spool = new Spool();
  spools.push(spool);
  for await (const chunk of entity.body) await spool.write(chunk);
  let head = Buffer.alloc(0);
  for await (const chunk of decodedBody({ ...entity, body: spool.read() })) {
    head = Buffer.concat([head, chunk]);
    if (head.length >= 64) break;
  }
  const hex = head.subarray(0, 64).toString('hex');
  const kind =
    hex.includes(ENVELOPED_OID_DER) || hex.includes(AUTH_ENVELOPED_OID_DER) ? 'encrypted' : hex.includes(SIGNED_OID_DER) ? 'signed' : undefined;
  return { kind, entity: { ...entity, body: spool.read() } };
}

export async function openMessage(message: ByteStream, options: OpenOptions): Promise<OpenResult> {
  const at = options.at ?? new Date();
  const spools: Spool[] = [];
  const layers: LayerReport[] = [];
  const signedLayers: SignedLayerReport[] = [];
  const certificates: Uint8Array[] = [];
  const warnings: string[] = [];
  let encrypted = false;
  let current = await readMimeEntity(message);
  const outerHeaders = current.headers;
  const dispose = async () => {
    for (const spool of spools) await spool.dispose();
  };
  try {
    for (let depth = 0; ; depth++) {
      let kind = layerKind(current);
      if (kind === undefined && isPkcs7Mime(current)) {
        const sniffed = await sniffPkcs7(current, spools);
        kind = sniffed.kind;
        current = sniffed.entity;
      }
      if (kind === undefined) break;
      if (depth >= MAX_LAYERS) throw new CachetError('ERR_LIMIT_EXCEEDED', `more than ${MAX_LAYERS} S/MIME layers`);
      if (kind === 'certs-only') {
        const found = await readCertsOnly(decodedBody(current));
        certificates.push(...found);
        layers.push({ kind: 'certs-only', certificates: found.length });
        break;
      }
      const spool = new Spool();
      spools.push(spool);
      if (kind === 'encrypted') {
        const report = await decryptEnvelopedEntity(current, spool, { decryptors: options.decryptors });
        layers.push({ ...report, kind: 'encrypted' });
        encrypted = true;
      } else {
        const report = await verifySignedEntity(current, spool, { ...(options.validator ? { validator: options.validator } : {}), at });
        signedLayers.push(report);
        certificates.push(...report.certificates);
        layers.push({ kind: 'signed', form: report.form, valid: report.valid, trusted: report.trusted, signers: report.signers.map(summariseSigner) });
      }
      current = await readMimeEntity(spool.read());
    }

    // The innermost entity: release it from the last spool (or, unwrapped nothing, from the input).
    const innermost = spools.length > 0 ? spools[spools.length - 1]! : undefined;
    let contentSpool = innermost;
    if (!contentSpool) {
      contentSpool = new Spool();
      spools.push(contentSpool);
      await contentSpool.write(current.headerBytes);
      for await (const chunk of current.body) await contentSpool.write(chunk);
    }
    const innerHeaders = layers.some((l) => l.kind === 'encrypted' || l.kind === 'signed') ? (await readMimeEntity(contentSpool.read())).headers : undefined;

    // Inside the innermost entity: signed parts within unsigned content, encrypted parts not opened.
    const signedParts: SignedPartReport[] = [];
    const unsignedParts: string[] = [];
    if (contentSpool.length <= MAX_SCANNED_BYTES) {
      const tree = parseMimeTree(await contentSpool.bytes());
      await scanParts(tree, signedParts, unsignedParts, warnings, options, at, certificates);
    }

    const headers = effectiveHeaders(outerHeaders, innerHeaders);
    const from = parseAddressList(headers.from ?? undefined);
    const signers = signedLayers.flatMap((l) => l.signers.map(summariseSigner));
    const status = computeStatus(signedLayers, signedParts, from);
    for (const signer of signers) if (signer.weakAlgorithm) warnings.push(`${signer.email[0] ?? signer.subject} signed with a weak algorithm (${signer.digest})`);
    const report: OpenReport = {
      status,
      encrypted,
      from: from.filter((a): a is string => a !== undefined),
      signers: signers.length > 0 ? signers : signedParts.flatMap((p) => p.signers),
      layers,
      valid: signedLayers.length === 0 ? null : signedLayers.every((l) => l.valid),
      trusted: signedLayers.length === 0 ? null : signedLayers.some((l) => l.trusted === null) ? null : signedLayers.every((l) => l.trusted === true),
      headers,
      signedParts,
      unsignedParts: status === 'partially-signed' ? unsignedParts : [],
      warnings,
    };
    const released = contentSpool;
    return { report, content: released.read(), certificates, signedLayers, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

function computeStatus(signedLayers: SignedLayerReport[], signedParts: SignedPartReport[], from: Array<string | undefined>): MessageStatus {
  if (signedLayers.length === 0) return signedParts.length > 0 ? 'partially-signed' : 'not-signed';
  const signers = signedLayers.flatMap((l) => l.signers);
  if (signers.length === 0 || signers.some((s) => !s.valid)) return 'invalid';
  if (signers.some((s) => s.trusted !== true)) return 'untrusted';
  const sender = from.length === 1 ? from[0] : undefined;
  if (!sender) return 'mismatch';
  const matches = signers.some((s) => s.email.some((e) => normaliseAddress(e) === sender));
  return matches ? 'valid' : 'mismatch';
}

async function scanParts(
  part: MimePart,
  signedParts: SignedPartReport[],
  unsignedParts: string[],
  warnings: string[],
  options: OpenOptions,
  at: Date,
  certificates: Uint8Array[],
): Promise<void> {
  for (const child of part.children) {
    const entity: MimeEntity = { headers: child.headers, headerBytes: child.bytes.subarray(0, child.bytes.length - child.body.length), body: toByteStream(child.body) };
    const kind = layerKind(entity);
    if (kind === 'signed') {
      try {
        const report = await verifySignedEntity(entity, { write: () => {} }, { ...(options.validator ? { validator: options.validator } : {}), at });
        certificates.push(...report.certificates);
        signedParts.push({ path: child.path, valid: report.valid, trusted: report.trusted, signers: report.signers.map(summariseSigner) });
      } catch (error) {
        if (!isCachetError(error)) throw error;
        signedParts.push({ path: child.path, valid: false, trusted: null, signers: [] });
      }
      continue;
    }
    if (kind === 'encrypted' || (isPkcs7Mime(entity) && kind === undefined)) {
      warnings.push(`part ${child.path} is encrypted inside unencrypted content; it was not decrypted (it could be used to leak its plaintext)`);
      unsignedParts.push(child.path);
      continue;
    }
    if (child.children.length > 0) await scanParts(child, signedParts, unsignedParts, warnings, options, at, certificates);
    else unsignedParts.push(child.path);
  }
}
