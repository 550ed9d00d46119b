/**
 * Signed attributes of a SignerInfo (RFC 5652 §5.3, §11; RFC 8551 §2.5): what Cachet writes and what
 * it reads back for the report.
 */
import { CachetError } from '../../errors.js';
import { OID, oidName } from '../oids.js';
import { objectIdentifier, octetString, setOf } from '../asn1/ber-writer.js';
import { cmsMalformed, derBytes, derChildren, derContent, derNode, derOid, derTlv, type DerNode } from './der-walk.js';
import { decodeIdentifier, issuerAndSerialNumberDer, nameDerToString, type CertificateIdentifier } from './cert-id.js';

/**
 * What we can decrypt, strongest first (RFC 8551 §2.5.2): AES-GCM in AuthEnvelopedData, then AES-CBC,
 * then RSAES-OAEP key transport (with SHA-256, RFC 4055 §5 parameters).
 */
const OAEP_SHA256_PARAMS = derTlv(
  0x30,
  derTlv(0xa0, derTlv(0x30, objectIdentifier(OID.id_sha256), Buffer.from([0x05, 0x00]))),
  derTlv(0xa1, derTlv(0x30, objectIdentifier(OID.id_mgf1), derTlv(0x30, objectIdentifier(OID.id_sha256), Buffer.from([0x05, 0x00])))),
);
const CONTENT_CAPABILITIES = [
  derTlv(0x30, objectIdentifier(OID.aes256_GCM)),
  derTlv(0x30, objectIdentifier(OID.aes128_GCM)),
  derTlv(0x30, objectIdentifier(OID.aes256_CBC)),
  derTlv(0x30, objectIdentifier(OID.aes192_CBC)),
  derTlv(0x30, objectIdentifier(OID.aes128_CBC)),
];
const CAPABILITIES: Buffer = derTlv(0x30, ...CONTENT_CAPABILITIES, derTlv(0x30, objectIdentifier(OID.id_RSAES_OAEP), OAEP_SHA256_PARAMS));
const CAPABILITIES_WITHOUT_OAEP: Buffer = derTlv(0x30, ...CONTENT_CAPABILITIES);

/** Names used in reports for capabilities. */
const CAPABILITY_NAMES: Record<string, string> = {
  [OID.aes256_GCM]: 'aes-256-gcm',
  [OID.aes192_GCM]: 'aes-192-gcm',
  [OID.aes128_GCM]: 'aes-128-gcm',
  [OID.aes256_CBC]: 'aes-256-cbc',
  [OID.aes192_CBC]: 'aes-192-cbc',
  [OID.aes128_CBC]: 'aes-128-cbc',
  [OID.des_ede3_cbc]: 'des-ede3-cbc',
  [OID.rc2_cbc]: 'rc2-cbc',
  [OID.id_RSAES_OAEP]: 'rsaes-oaep',
  [OID.rsaEncryption]: 'rsa',
  [OID.id_sha256]: 'sha256',
  [OID.id_sha384]: 'sha384',
  [OID.id_sha512]: 'sha512',
  [OID.id_sha1]: 'sha1',
  '1.2.840.113549.1.9.16.3.9': 'prefer-signed-data',
  '1.2.840.113549.1.9.16.3.10': 'can-not-decrypt-any',
};

export interface SignedAttributesInput {
  /** eContentType (id-data for S/MIME). */
  contentType: string;
  messageDigest: Uint8Array;
  signingTime: Date;
  /** Our encryption certificate, announced with SMIMEEncryptionKeyPreference. */
  encryptionCertificate?: Uint8Array;
  /** Announce RSA-OAEP among SMIMECapabilities (default true). */
  announceRsaOaep?: boolean;
}

function attribute(type: string, ...values: Uint8Array[]): Buffer {
  return derTlv(0x30, objectIdentifier(type), setOf(...values));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. Whole seconds, Zulu. */
export function encodeTime(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return derTlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'latin1'));
  return derTlv(0x18, Buffer.from(`${digits}Z`, 'latin1'));
}

/**
 * The signed attributes as DER `SET OF Attribute` (tag 0x31): the bytes the signature covers
 * (RFC 5652 §5.4). In the SignerInfo they appear with the tag changed to [0] IMPLICIT (0xa0).
 */
export function buildSignedAttributes(input: SignedAttributesInput): Buffer {
  const attributes = [
    attribute(OID.id_contentType, objectIdentifier(input.contentType)),
    attribute(OID.id_signingTime, encodeTime(input.signingTime)),
    attribute(OID.id_messageDigest, octetString(input.messageDigest)),
    attribute(OID.smimeCapabilities, input.announceRsaOaep === false ? CAPABILITIES_WITHOUT_OAEP : CAPABILITIES),
  ];
  if (input.encryptionCertificate) {
    const ias = issuerAndSerialNumberDer(input.encryptionCertificate);
    // SMIMEEncryptionKeyPreference ::= CHOICE { issuerAndSerialNumber [0] IMPLICIT IssuerAndSerialNumber, … }
    attributes.push(attribute(OID.id_aa_encrypKeyPref, Buffer.concat([Buffer.from([0xa0]), ias.subarray(1)])));
    // Outlook reads (and writes) Microsoft's own attribute, whose value is a plain IssuerAndSerialNumber.
    attributes.push(attribute(OID.ms_oe_encryptionKeyPreference, ias));
  }
  return setOf(...attributes);
}

/** The [0] IMPLICIT form of the signed attributes for the SignerInfo. */
export function implicitSignedAttributes(setDer: Uint8Array): Buffer {
  const copy = Buffer.from(setDer);
  copy[0] = 0xa0;
  return copy;
}

// ---------------------------------------------------------------------------------------------------

export interface EncryptionKeyPreference {
  /** Which attribute named it: RFC 8551's or Microsoft's. */
  source: 'smime' | 'microsoft';
  identifier: CertificateIdentifier;
  /** For reports: the issuer as a string and the serial in hex, or the key identifier in hex. */
  issuer?: string;
  serialNumber?: string;
  keyIdentifier?: string;
}

export interface ParsedSignedAttributes {
  /**
   * The contentType attribute; null when absent. RFC 5652 §5.3 requires it, but gpgsm before 2.x
   * (GnuPG's own tests/cms data) wrote signingTime and messageDigest only: the verifier decides.
   */
  contentType: string | null;
  messageDigest: Uint8Array;
  signingTime: Date | null;
  capabilities: string[];
  encryptionKeyPreference?: EncryptionKeyPreference;
  /** Every attribute type present, for callers that look for more. */
  types: string[];
}

/**
 * Reads signed attributes from their DER (the SET with tag 0x31 or 0xa0). Enforces RFC 5652 §5.3:
 * messageDigest present, contentType and messageDigest each once with one value; signingTime at most
 * once. A missing contentType is returned as null (see ParsedSignedAttributes).
 */
export function parseSignedAttributes(der: Uint8Array): ParsedSignedAttributes {
  const set = derNode(der);
  if (set.tag !== 0x31 && set.tag !== 0xa0) throw cmsMalformed('the signed attributes are not a SET');
  const seen = new Set<string>();
  let contentType: string | undefined;
  let messageDigest: Uint8Array | undefined;
  let signingTime: Date | null = null;
  let capabilities: string[] = [];
  let preference: EncryptionKeyPreference | undefined;
  let msPreference: EncryptionKeyPreference | undefined;
  for (const attr of derChildren(der, set)) {
    const [typeNode, valuesNode] = derChildren(der, attr);
    if (!typeNode || !valuesNode || valuesNode.tag !== 0x31) throw cmsMalformed('a signed attribute is malformed');
    const type = derOid(der, typeNode);
    const values = derChildren(der, valuesNode);
    const single = (): DerNode => {
      if (seen.has(type)) throw cmsMalformed(`the signed attribute ${oidName(type)} appears twice`);
      if (values.length !== 1) throw cmsMalformed(`the signed attribute ${oidName(type)} must have exactly one value`);
      return values[0]!;
    };
    switch (type) {
      case OID.id_contentType:
        contentType = derOid(der, single());
        break;
      case OID.id_messageDigest: {
        const value = single();
        if (value.tag !== 0x04) throw cmsMalformed('the messageDigest attribute is not an OCTET STRING');
        messageDigest = derContent(der, value);
        break;
      }
      case OID.id_signingTime:
        signingTime = decodeTime(der, single());
        break;
      case OID.smimeCapabilities:
        capabilities = parseCapabilities(der, values[0]);
        break;
      case OID.id_aa_encrypKeyPref:
        preference = parseKeyPreference(der, values[0], 'smime');
        break;
      case OID.ms_oe_encryptionKeyPreference:
        msPreference = parseKeyPreference(der, values[0], 'microsoft');
        break;
      default:
        break;
    }
    seen.add(type);
  }
  if (!messageDigest) throw cmsMalformed('the signed attributes lack the messageDigest attribute (RFC 5652 §5.3)');
  const encryptionKeyPreference = preference ?? msPreference;
  return {
    contentType: contentType ?? null,
    messageDigest,
    signingTime,
    capabilities,
    ...(encryptionKeyPreference ? { encryptionKeyPreference } : {}),
    types: [...seen],
  };
}

function parseCapabilities(der: Uint8Array, node: DerNode | undefined): string[] {
  if (!node || node.tag !== 0x30) return [];
  const out: string[] = [];
  try {
    for (const capability of derChildren(der, node)) {
      const [id] = derChildren(der, capability);
      if (!id) continue;
      const oid = derOid(der, id);
      out.push(CAPABILITY_NAMES[oid] ?? oidName(oid));
    }
  } catch {
    // A malformed capability list is advice we cannot take, not a reason to reject the signature.
  }
  return out;
}

function parseKeyPreference(der: Uint8Array, node: DerNode | undefined, source: 'smime' | 'microsoft'): EncryptionKeyPreference | undefined {
  if (!node) return undefined;
  try {
    let identifier: CertificateIdentifier;
    if (source === 'microsoft' || node.tag === 0xa0) {
      // [0] IMPLICIT IssuerAndSerialNumber: read it as the SEQUENCE it replaces.
      const sequence = Buffer.from(derBytes(der, node));
      sequence[0] = 0x30;
      identifier = decodeIdentifier(sequence);
    } else if (node.tag === 0x82 || node.tag === 0x80) {
      identifier = { kind: 'subjectKeyIdentifier', keyIdentifier: derContent(der, node) };
    } else {
      return undefined; // rKeyId [1]: names a key-agreement key by a structure we do not use
    }
    return identifier.kind === 'issuerAndSerialNumber'
      ? { source, identifier, issuer: nameDerToString(identifier.issuer), serialNumber: Buffer.from(identifier.serialNumber).toString('hex') }
      : { source, identifier, keyIdentifier: Buffer.from(identifier.keyIdentifier).toString('hex') };
  } catch {
    return undefined;
  }
}

function decodeTime(der: Uint8Array, node: DerNode): Date {
  const text = Buffer.from(derContent(der, node)).toString('latin1');
  let m: RegExpExecArray | null;
  if (node.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(text))) {
    const yy = Number(m[1]);
    return utc(yy >= 50 ? 1900 + yy : 2000 + yy, m[2]!, m[3]!, m[4]!, m[5]!, m[6] ?? '0', '');
  }
  if (node.tag === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?Z$/.exec(text))) {
    return utc(Number(m[1]), m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7] ?? '');
  }
  throw cmsMalformed(`the signingTime "${text}" is not a valid UTCTime or GeneralizedTime`);
}

function utc(year: number, month: string, day: string, hour: string, minute: string, second: string, fraction: string): Date {
  const date = new Date(Date.UTC(year, Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), Number(`0.${fraction || '0'}`) * 1000));
  if (Number.isNaN(date.getTime())) throw new CachetError('ERR_CMS_MALFORMED', 'the signingTime is not a valid date');
  return date;
}

/**
 * The names of an SMIMECapabilities value given on its own (DER of the SEQUENCE), as a certificate
 * carries it in its extension of the same OID (RFC 4262); [] when it cannot be read.
 */
export function smimeCapabilityNames(der: Uint8Array): string[] {
  try {
    return parseCapabilities(der, derNode(der));
  } catch {
    return [];
  }
}
