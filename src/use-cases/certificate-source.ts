/**
 * The admin's "S/MIME certificate source" as the mail client reads it from the effective policy:
 * which source, and for derived credentials which PKCS#11 module and token (the module is the
 * admin's; the token label may be the user's setting).
 */
import type { CertificateSource, CredentialSourceOptions } from '../adapters/keys/key-source.js';
import type { EffectivePolicy } from '../adapters/policy/policy.js';

export interface PolicyCertificateSource {
  source: CertificateSource;
  token: NonNullable<CredentialSourceOptions['token']>;
}

export function certificateSourceOf(policy: EffectivePolicy): PolicyCertificateSource {
  const module = policy.get('pkcs11Module') as string | null;
  const tokenLabel = policy.get('tokenLabel') as string | null;
  return {
    source: policy.string('certificateSource') as CertificateSource,
    token: { ...(module ? { module } : {}), ...(tokenLabel ? { tokenLabel } : {}) },
  };
}
