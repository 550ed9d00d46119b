/**
 * Reading a certificate, the one way the engine does it: parseCertificate for the certificate
 * (@peculiar/x509), certificatePublicKey for its key as node:crypto loads it. Every module of pki/
 * that looks inside a certificate goes through these, so a certificate over the parser's limits is
 * refused with the same code wherever it is met.
 */
import 'reflect-metadata';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { X509Certificate } from '@peculiar/x509';
import { CachetError } from '../../errors.js';

/** asn1js's own bound on the elements of one parse (its default `maxNodes`): a certificate beyond it is refused unread. */
const ASN1_NODE_LIMIT_MESSAGE = 'Maximum ASN.1 node count exceeded';

/**
 * Parses a DER certificate. Too many elements (ten thousand subjectAltNames) is a safety limit, not a
 * damaged file, and says so with its own code.
 * @throws CachetError ERR_LIMIT_EXCEEDED over the parser's element limit; ERR_CERT_MALFORMED when the bytes are not a certificate.
 * @example parseCertificate(der).getExtension(KeyUsagesExtension)
 */
export function parseCertificate(der: Uint8Array): X509Certificate {
  try {
    return new X509Certificate(Buffer.from(der));
  } catch (error) {
    if (String((error as Error)?.message).includes(ASN1_NODE_LIMIT_MESSAGE)) {
      throw new CachetError('ERR_LIMIT_EXCEEDED', 'the certificate holds more elements than Cachet reads (over 10,000, such as thousands of names): it is refused as a safety limit', { cause: error });
    }
    throw new CachetError('ERR_CERT_MALFORMED', 'the certificate cannot be read', { cause: error });
  }
}

/**
 * The certificate's public key, or undefined when node:crypto cannot load it (an algorithm it does
 * not know, damaged key bytes): callers that only ask about the key (its type, its size) then treat
 * it as unknown rather than fail the whole certificate.
 */
export function certificatePublicKey(cert: X509Certificate): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}
