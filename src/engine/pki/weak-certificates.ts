/**
 * Certificates too weak to trust for mail, after the CA/B Forum S/MIME Baseline Requirements and
 * what Thunderbird (NSS) refuses: a CA certificate used as the signer or recipient (BR §7.1.2.3 a:
 * subscriber certificates have cA FALSE), an RSA key under 2048 bits (BR §6.1.5), and a certificate
 * signed with SHA-1 or MD5 (BR §7.1.3.2; a chosen-prefix collision forges such a signature). The
 * validator refuses them unless the admin's policy allows legacy certificates, and then reports
 * each as a warning.
 */
import 'reflect-metadata';
import { BasicConstraintsExtension, type X509Certificate } from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import type { CachetErrorCode } from '../../errors.js';
import { certificatePublicKey } from './parse-certificate.js';

export const MIN_RSA_BITS = 2048;

/** Signature algorithms whose digest collides (OID → name shown to the user). */
const BROKEN_SIGNATURE_DIGESTS: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'MD2',
  '1.2.840.113549.1.1.4': 'MD5',
  '1.2.840.113549.1.1.5': 'SHA-1',
  '1.2.840.10045.4.1': 'SHA-1',
  '1.2.840.10040.4.3': 'SHA-1',
  '1.3.14.3.2.29': 'SHA-1',
};

export interface CertificateWeakness {
  code: Extract<CachetErrorCode, 'ERR_CERT_USAGE' | 'ERR_KEY_TOO_SMALL' | 'ERR_WEAK_ALGORITHM'>;
  message: string;
}

function rsaBits(cert: X509Certificate): number | undefined {
  const key = certificatePublicKey(cert);
  if (key?.asymmetricKeyType !== 'rsa' && key?.asymmetricKeyType !== 'rsa-pss') return undefined;
  return key.asymmetricKeyDetails?.modulusLength;
}

function signatureDigest(der: Uint8Array): string | undefined {
  try {
    return BROKEN_SIGNATURE_DIGESTS[AsnConvert.parse(der, Certificate).signatureAlgorithm.algorithm];
  } catch {
    return undefined;
  }
}

/**
 * What makes a built chain too weak, first the end entity's. `names[i]` is how the user knows
 * `chain[i]` ("the certificate of alice@example.com", "the CA certificate Example Issuing CA").
 * The last link is the trust anchor: its self-signature is not relied on, its key is.
 */
export function chainWeaknesses(chain: ReadonlyArray<{ der: Uint8Array; cert: X509Certificate }>, names: readonly string[]): CertificateWeakness[] {
  const found: CertificateWeakness[] = [];
  const leaf = chain[0];
  if (leaf?.cert.getExtension(BasicConstraintsExtension)?.ca === true) {
    found.push({ code: 'ERR_CERT_USAGE', message: `${names[0]} is a CA certificate (CA:TRUE), which may not sign or receive mail itself` });
  }
  for (const [index, link] of chain.entries()) {
    const bits = rsaBits(link.cert);
    if (bits !== undefined && bits < MIN_RSA_BITS) found.push({ code: 'ERR_KEY_TOO_SMALL', message: `${names[index]} has a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required` });
    const digest = index < chain.length - 1 ? signatureDigest(link.der) : undefined;
    if (digest) found.push({ code: 'ERR_WEAK_ALGORITHM', message: `${names[index]} is signed with ${digest}, which can be forged` });
  }
  return found;
}
