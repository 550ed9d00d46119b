/**
 * SignerInfo (RFC 5652 §5.3): made for each signer once the content digest is known, and read back
 * with the exact bytes of its signed attributes (the signature covers their DER, §5.4).
 */
import { smallInteger, octetString } from '../asn1/ber-writer.js';
import type { Signer } from '../keys.js';
import { digestAlgorithmIdentifier, digestFor, schemeFor, signatureAlgorithmIdentifier } from './algorithms.js';
import { decodeIdentifier, encodeIdentifier, identifierOfCertificate, type CertificateIdentifier } from './cert-id.js';
import { cmsMalformed, derBytes, derChildren, derContent, derInteger, derNode, derTlv } from './der-walk.js';
import { buildSignedAttributes, implicitSignedAttributes } from './signed-attributes.js';
import { OID } from '../oids.js';

export interface SignerInfoInput {
  signer: Signer;
  /** The content digest with the signer's digest algorithm. */
  messageDigest: Uint8Array;
  signingTime: Date;
  contentType?: string;
  /** How the SignerInfo names the certificate: issuerAndSerialNumber (default, version 1) or SKI (version 3). */
  identifier?: CertificateIdentifier['kind'];
}

/** Builds and signs one SignerInfo (DER). */
export async function buildSignerInfo(input: SignerInfoInput): Promise<Buffer> {
  const { signer } = input;
  const digest = digestFor(signer);
  const scheme = schemeFor(signer);
  const kind = input.identifier ?? 'issuerAndSerialNumber';
  const signedAttributes = buildSignedAttributes({
    contentType: input.contentType ?? OID.id_data,
    messageDigest: input.messageDigest,
    signingTime: input.signingTime,
    ...(signer.encryptionCertificate ? { encryptionCertificate: signer.encryptionCertificate } : {}),
    ...(signer.announceRsaOaep === false ? { announceRsaOaep: false } : {}),
  });
  const signature = await signer.key.sign(signedAttributes, scheme, digest);
  return derTlv(
    0x30,
    smallInteger(kind === 'subjectKeyIdentifier' ? 3 : 1),
    encodeIdentifier(identifierOfCertificate(signer.certificate, kind)),
    digestAlgorithmIdentifier(digest),
    implicitSignedAttributes(signedAttributes),
    signatureAlgorithmIdentifier(scheme, digest),
    octetString(signature),
  );
}

export interface ParsedSignerInfo {
  version: number;
  sid: CertificateIdentifier;
  /** DER of the digest AlgorithmIdentifier (interpreted by the verifier, so that an unsupported one
   *  is reported for this signer rather than failing the whole message). */
  digestAlgorithm: Uint8Array;
  /** DER of the signed attributes with the SET tag (0x31) as signed, or null when absent. */
  signedAttributes: Uint8Array | null;
  signatureAlgorithm: Uint8Array;
  signature: Uint8Array;
  /** DER of the unsigned attributes ([1] IMPLICIT), if any (countersignatures, timestamps). */
  unsignedAttributes: Uint8Array | null;
}

export function parseSignerInfo(der: Uint8Array): ParsedSignerInfo {
  const node = derNode(der);
  if (node.tag !== 0x30) throw cmsMalformed('a SignerInfo is not a SEQUENCE');
  const fields = derChildren(der, node);
  const [versionNode, sidNode, digestNode] = fields;
  if (!versionNode || !sidNode || !digestNode) throw cmsMalformed('a SignerInfo is incomplete');
  let i = 3;
  let signedAttributes: Uint8Array | null = null;
  if (fields[i]?.tag === 0xa0) {
    const copy = Buffer.from(derBytes(der, fields[i]!));
    copy[0] = 0x31; // RFC 5652 §5.4: the signature covers the DER with an EXPLICIT SET OF tag
    signedAttributes = copy;
    i++;
  }
  const signatureAlgorithmNode = fields[i++];
  const signatureNode = fields[i++];
  if (!signatureAlgorithmNode || signatureAlgorithmNode.tag !== 0x30 || !signatureNode || signatureNode.tag !== 0x04) {
    throw cmsMalformed('a SignerInfo lacks its signature');
  }
  const unsigned = fields[i];
  return {
    version: derInteger(der, versionNode),
    sid: decodeIdentifier(derBytes(der, sidNode)),
    digestAlgorithm: derBytes(der, digestNode),
    signedAttributes,
    signatureAlgorithm: derBytes(der, signatureAlgorithmNode),
    signature: derContent(der, signatureNode),
    unsignedAttributes: unsigned && unsigned.tag === 0xa1 ? derBytes(der, unsigned) : null,
  };
}
