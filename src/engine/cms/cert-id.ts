/**
 * How CMS names a certificate (RFC 5652 §5.3 SignerIdentifier, §6.2 RecipientIdentifier) and what a
 * certificate says about its holder (RFC 8550 §3: e-mail addresses).
 *
 * Why a small DER walker here instead of a schema parser: matching an issuerAndSerialNumber needs the
 * issuer Name's exact bytes (a re-serialised Name may differ from what the certificate holds), and it
 * runs on every verify and decrypt, where parsing whole certificates with a schema costs more than
 * the signature check itself.
 */
import { CachetError, isCachetError } from '../../errors.js';
import { derChildren, derNode, type DerNode } from './der-walk.js';
import { OID } from '../oids.js';
import { decodeObjectIdentifier } from '../asn1/ber-reader.js';

/** A SignerIdentifier or RecipientIdentifier (key transport), in neutral form. */
export type CertificateIdentifier =
  | { kind: 'issuerAndSerialNumber'; /** DER of the issuer Name. */ issuer: Uint8Array; /** INTEGER content octets. */ serialNumber: Uint8Array }
  | { kind: 'subjectKeyIdentifier'; keyIdentifier: Uint8Array };

// Certificates are DER (RFC 5280 §4.1): the engine's DER walker reads them, its failures named as a
// certificate that could not be read.

function certMalformed(message: string): CachetError {
  return new CachetError('ERR_CERT_MALFORMED', `the certificate could not be read: ${message}`);
}

function asCertificate<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (isCachetError(error, 'ERR_CMS_MALFORMED')) throw certMalformed(error.message);
    throw error;
  }
}

const readElement = (buf: Uint8Array, pos: number, limit: number): DerNode => asCertificate(() => derNode(buf, pos, limit));
const childrenOf = (buf: Uint8Array, parent: DerNode): DerNode[] => asCertificate(() => derChildren(buf, parent));

interface TbsParts {
  serial: DerNode;
  issuer: DerNode;
  subject: DerNode;
  spki: DerNode;
  extensions: DerNode[];
}

const partsCache = new WeakMap<Uint8Array, TbsParts>();

function tbsParts(cert: Uint8Array): TbsParts {
  const cached = partsCache.get(cert);
  if (cached) return cached;
  const outer = readElement(cert, 0, cert.length);
  if (outer.tag !== 0x30) throw certMalformed('it is not a SEQUENCE');
  const tbs = childrenOf(cert, outer)[0];
  if (!tbs || tbs.tag !== 0x30) throw certMalformed('it has no TBSCertificate');
  const fields = childrenOf(cert, tbs);
  let i = 0;
  if (fields[0]?.tag === 0xa0) i++; // [0] EXPLICIT version
  const [serial, , issuer, , subject, spki] = fields.slice(i);
  if (!serial || serial.tag !== 0x02 || !issuer || issuer.tag !== 0x30 || !subject || subject.tag !== 0x30 || !spki || spki.tag !== 0x30) {
    throw certMalformed('its TBSCertificate is incomplete');
  }
  const extensions: DerNode[] = [];
  const extWrapper = fields.slice(i + 6).find((f) => f.tag === 0xa3);
  if (extWrapper) {
    const list = childrenOf(cert, extWrapper)[0];
    if (list && list.tag === 0x30) extensions.push(...childrenOf(cert, list));
  }
  const parts = { serial, issuer, subject, spki, extensions };
  partsCache.set(cert, parts);
  return parts;
}

function slice(buf: Uint8Array, start: number, end: number): Uint8Array {
  return buf.subarray(start, end);
}

function oidContent(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const values = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  const bytes: number[] = [];
  for (const value of values) {
    const group = [value & 0x7f];
    for (let n = Math.floor(value / 128); n > 0; n = Math.floor(n / 128)) group.unshift((n & 0x7f) | 0x80);
    bytes.push(...group);
  }
  return Buffer.from(bytes);
}

const SAN_OID = oidContent('2.5.29.17');
const SKI_OID = oidContent('2.5.29.14');
const EMAIL_OID = oidContent(OID.id_emailAddress);

/** The extnValue octets of an extension, or undefined. */
function extensionValue(cert: Uint8Array, oid: Buffer): Uint8Array | undefined {
  for (const ext of tbsParts(cert).extensions) {
    const [id, ...rest] = childrenOf(cert, ext);
    if (!id || id.tag !== 0x06) continue;
    if (!Buffer.from(slice(cert, id.contentStart, id.end)).equals(oid)) continue;
    const value = rest.find((e) => e.tag === 0x04);
    return value ? slice(cert, value.contentStart, value.end) : undefined;
  }
  return undefined;
}

/** INTEGER content without redundant leading zero octets, so 00 80 and 80 compare as the same serial. */
function normaliseSerial(serial: Uint8Array): Uint8Array {
  let i = 0;
  while (i < serial.length - 1 && serial[i] === 0 && (serial[i + 1]! & 0x80) === 0) i++;
  return serial.subarray(i);
}

// ---------------------------------------------------------------------------------------------------

/** The issuer Name (DER) and the serial number (INTEGER content octets) of a certificate. */
export function issuerAndSerialNumber(cert: Uint8Array): { issuer: Uint8Array; serialNumber: Uint8Array } {
  const { issuer, serial } = tbsParts(cert);
  return { issuer: slice(cert, issuer.start, issuer.end), serialNumber: slice(cert, serial.contentStart, serial.end) };
}

/** DER of `IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER }` for a certificate. */
export function issuerAndSerialNumberDer(cert: Uint8Array): Buffer {
  const { issuer, serial } = tbsParts(cert);
  const content = Buffer.concat([slice(cert, issuer.start, issuer.end), slice(cert, serial.start, serial.end)]);
  return Buffer.concat([derHeader(0x30, content.length), content]);
}

/** The certificate's subjectKeyIdentifier extension value (the key identifier octets), if it has one. */
export function subjectKeyIdentifier(cert: Uint8Array): Uint8Array | undefined {
  const value = extensionValue(cert, SKI_OID);
  if (!value) return undefined;
  const inner = readElement(value, 0, value.length);
  if (inner.tag !== 0x04) throw certMalformed('its subjectKeyIdentifier is not an OCTET STRING');
  return slice(value, inner.contentStart, inner.end);
}

/** DER of the certificate's SubjectPublicKeyInfo. */
export function subjectPublicKeyInfo(cert: Uint8Array): Uint8Array {
  const { spki } = tbsParts(cert);
  return slice(cert, spki.start, spki.end);
}

/** DER of the certificate's subject Name. */
export function subjectNameDer(cert: Uint8Array): Uint8Array {
  const { subject } = tbsParts(cert);
  return slice(cert, subject.start, subject.end);
}

/** How a certificate is named by the given kind of identifier. */
export function identifierOfCertificate(cert: Uint8Array, kind: CertificateIdentifier['kind'] = 'issuerAndSerialNumber'): CertificateIdentifier {
  if (kind === 'subjectKeyIdentifier') {
    const keyIdentifier = subjectKeyIdentifier(cert);
    if (!keyIdentifier) {
      throw new CachetError('ERR_CERT_MALFORMED', 'the certificate has no subjectKeyIdentifier extension, so it cannot be named by one');
    }
    return { kind, keyIdentifier };
  }
  return { kind, ...issuerAndSerialNumber(cert) };
}

/**
 * DER of a SignerIdentifier / key-transport RecipientIdentifier: the IssuerAndSerialNumber SEQUENCE,
 * or `[0] IMPLICIT SubjectKeyIdentifier` (context tag 0, primitive).
 */
export function encodeIdentifier(id: CertificateIdentifier): Buffer {
  if (id.kind === 'subjectKeyIdentifier') return Buffer.concat([derHeader(0x80, id.keyIdentifier.length), id.keyIdentifier]);
  const serial = Buffer.concat([derHeader(0x02, id.serialNumber.length), id.serialNumber]);
  const content = Buffer.concat([id.issuer, serial]);
  return Buffer.concat([derHeader(0x30, content.length), content]);
}

/** Reads the DER of a SignerIdentifier / key-transport RecipientIdentifier (see {@link encodeIdentifier}). */
export function decodeIdentifier(der: Uint8Array): CertificateIdentifier {
  const cmsMalformed = (m: string) => new CachetError('ERR_CMS_MALFORMED', `the signer or recipient identifier is malformed: ${m}`);
  let element: DerNode;
  try {
    element = readElement(der, 0, der.length);
  } catch (error) {
    throw cmsMalformed(error instanceof Error ? error.message : String(error));
  }
  if (element.tag === 0x80 || element.tag === 0xa0) {
    // [0] IMPLICIT OCTET STRING; a few producers wrap it EXPLICIT (0xa0 around an OCTET STRING).
    if (element.tag === 0xa0) {
      const inner = readElement(der, element.contentStart, element.end);
      if (inner.tag !== 0x04) throw cmsMalformed('a [0] identifier that is not a key identifier');
      return { kind: 'subjectKeyIdentifier', keyIdentifier: slice(der, inner.contentStart, inner.end) };
    }
    return { kind: 'subjectKeyIdentifier', keyIdentifier: slice(der, element.contentStart, element.end) };
  }
  if (element.tag !== 0x30) throw cmsMalformed('neither issuerAndSerialNumber nor subjectKeyIdentifier');
  let issuer: DerNode | undefined;
  let serial: DerNode | undefined;
  try {
    [issuer, serial] = childrenOf(der, element);
  } catch (error) {
    throw cmsMalformed(error instanceof Error ? error.message : String(error));
  }
  if (!issuer || issuer.tag !== 0x30 || !serial || serial.tag !== 0x02) throw cmsMalformed('issuerAndSerialNumber is incomplete');
  return { kind: 'issuerAndSerialNumber', issuer: slice(der, issuer.start, issuer.end), serialNumber: slice(der, serial.contentStart, serial.end) };
}

/** Whether the identifier names this certificate. */
export function certificateMatches(cert: Uint8Array, id: CertificateIdentifier): boolean {
  try {
    if (id.kind === 'subjectKeyIdentifier') {
      const ski = subjectKeyIdentifier(cert);
      return ski !== undefined && Buffer.from(ski).equals(id.keyIdentifier);
    }
    const own = issuerAndSerialNumber(cert);
    if (!Buffer.from(normaliseSerial(own.serialNumber)).equals(normaliseSerial(id.serialNumber))) return false;
    if (Buffer.from(own.issuer).equals(id.issuer)) return true;
    // Some producers re-encode the issuer (string types, case); compare RFC 5280 §7.1 style.
    return canonicalName(own.issuer) === canonicalName(id.issuer);
  } catch {
    return false;
  }
}

/** The first certificate the identifier names. */
export function findCertificate(certificates: readonly Uint8Array[], id: CertificateIdentifier): Uint8Array | undefined {
  return certificates.find((cert) => certificateMatches(cert, id));
}

/**
 * The e-mail addresses a certificate is issued to, lower-cased and deduplicated: subjectAltName
 * rfc822Name entries first, then the legacy emailAddress attribute of the subject (RFC 8550 §3).
 */
export function certificateEmails(cert: Uint8Array): string[] {
  const found: string[] = [];
  const san = extensionValue(cert, SAN_OID);
  if (san) {
    const names = readElement(san, 0, san.length);
    if (names.tag === 0x30) {
      for (const name of childrenOf(san, names)) {
        if (name.tag === 0x81) found.push(Buffer.from(slice(san, name.contentStart, name.end)).toString('latin1'));
      }
    }
  }
  for (const attribute of nameAttributes(cert, tbsParts(cert).subject)) {
    if (attribute.oid.equals(EMAIL_OID)) found.push(attribute.value);
  }
  return [...new Set(found.map((e) => e.trim().toLowerCase()).filter((e) => e.length > 0))];
}

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '0.9.2342.19200300.100.1.25': 'DC',
  [OID.id_emailAddress]: 'emailAddress',
};

/** The subject as an RFC 4514-style string, most significant RDN last ("CN=Alice,O=Test"). */
export function certificateSubject(cert: Uint8Array): string {
  return nameToString(cert, tbsParts(cert).subject);
}

/** The issuer as an RFC 4514-style string. */
export function certificateIssuer(cert: Uint8Array): string {
  return nameToString(cert, tbsParts(cert).issuer);
}

/** Renders a DER Name (e.g. from an IssuerAndSerialNumber) as an RFC 4514-style string. */
export function nameDerToString(nameDer: Uint8Array): string {
  return nameToString(nameDer, readElement(nameDer, 0, nameDer.length));
}

function nameToString(buf: Uint8Array, name: DerNode): string {
  return nameAttributes(buf, name)
    .map((a) => `${SHORT_NAMES[decodeObjectIdentifier(a.oid)] ?? decodeObjectIdentifier(a.oid)}=${escapeRdnValue(a.value)}`)
    .reverse()
    .join(',');
}

function escapeRdnValue(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}

function nameAttributes(buf: Uint8Array, name: DerNode): Array<{ oid: Buffer; value: string }> {
  const out: Array<{ oid: Buffer; value: string }> = [];
  for (const rdn of childrenOf(buf, name)) {
    if (rdn.tag !== 0x31) continue;
    for (const atv of childrenOf(buf, rdn)) {
      const [type, value] = childrenOf(buf, atv);
      if (!type || type.tag !== 0x06 || !value) continue;
      out.push({ oid: Buffer.from(slice(buf, type.contentStart, type.end)), value: decodeString(value.tag, slice(buf, value.contentStart, value.end)) });
    }
  }
  return out;
}

function decodeString(tag: number, content: Uint8Array): string {
  const bytes = Buffer.from(content);
  switch (tag) {
    case 0x0c: // UTF8String
      return bytes.toString('utf8');
    case 0x1e: // BMPString (UTF-16BE)
      return Buffer.from(bytes).swap16().toString('utf16le');
    case 0x1c: {
      // UniversalString (UTF-32BE)
      let s = '';
      for (let i = 0; i + 3 < bytes.length; i += 4) s += String.fromCodePoint(bytes.readUInt32BE(i));
      return s;
    }
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString (latin1 in practice)
      return bytes.toString('latin1');
    default:
      return `#${bytes.toString('hex')}`;
  }
}

/** A comparison key for Names: attribute types and case-folded, space-collapsed values, in order. */
function canonicalName(nameDer: Uint8Array): string {
  const element = readElement(nameDer, 0, nameDer.length);
  return nameAttributes(nameDer, element)
    .map((a) => `${a.oid.toString('hex')}=${a.value.trim().replace(/\s+/g, ' ').toLowerCase()}`)
    .join('\u0000');
}

function derHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}
