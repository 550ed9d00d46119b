/**
 * SMIMECapabilities a certificate announces in its own extension (RFC 4262: the CA, or the owner's
 * enrolment, lists what its holder decrypts, as Microsoft AD CS does). Advice for choosing a cipher
 * when no signed mail of the holder was seen; what signed mail announced is newer and wins.
 */
import 'reflect-metadata';
import type { X509Certificate } from '@peculiar/x509';
import { smimeCapabilityNames } from '../cms/signed-attributes.js';
import { OID } from '../oids.js';
import { parseCertificate } from './parse-certificate.js';

/** The capability names (as signed mail reports them), or undefined when the certificate has none. */
export function certificateCapabilities(der: Uint8Array): string[] | undefined {
  let certificate: X509Certificate;
  try {
    certificate = parseCertificate(der);
  } catch {
    // Advice only: a certificate that cannot be read announces nothing (its use is refused elsewhere).
    return undefined;
  }
  const extension = certificate.extensions.find((e) => e.type === OID.smimeCapabilities);
  if (!extension) return undefined;
  const names = smimeCapabilityNames(new Uint8Array(extension.value));
  return names.length > 0 ? names : undefined;
}
