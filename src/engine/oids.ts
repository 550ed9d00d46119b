/**
 * Object identifiers used by Cachet, named as in their RFCs so they can be looked up there.
 */
export const OID = {
  // RFC 5652 content types
  id_data: '1.2.840.113549.1.7.1',
  id_signedData: '1.2.840.113549.1.7.2',
  id_envelopedData: '1.2.840.113549.1.7.3',
  id_digestedData: '1.2.840.113549.1.7.5',
  id_encryptedData: '1.2.840.113549.1.7.6',
  id_ct_authEnvelopedData: '1.2.840.113549.1.9.16.1.23', // RFC 5083
  id_ct_authData: '1.2.840.113549.1.9.16.1.2',
  id_ct_compressedData: '1.2.840.113549.1.9.16.1.9', // RFC 3274
  id_alg_zlibCompress: '1.2.840.113549.1.9.16.3.8', // RFC 3274
  // RFC 5652 §11 attributes
  id_contentType: '1.2.840.113549.1.9.3',
  id_messageDigest: '1.2.840.113549.1.9.4',
  id_signingTime: '1.2.840.113549.1.9.5',
  id_countersignature: '1.2.840.113549.1.9.6',
  // RFC 8551 attributes
  smimeCapabilities: '1.2.840.113549.1.9.15',
  id_aa_encrypKeyPref: '1.2.840.113549.1.9.16.2.11',
  // Microsoft's variant of the key preference, written by Outlook
  ms_oe_encryptionKeyPreference: '1.3.6.1.4.1.311.16.4',
  id_aa_signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  id_emailAddress: '1.2.840.113549.1.9.1',
  // digests
  id_sha1: '1.3.14.3.2.26',
  id_sha224: '2.16.840.1.101.3.4.2.4',
  id_sha256: '2.16.840.1.101.3.4.2.1',
  id_sha384: '2.16.840.1.101.3.4.2.2',
  id_sha512: '2.16.840.1.101.3.4.2.3',
  id_md5: '1.2.840.113549.2.5',
  // RSA (RFC 8017, RFC 4055)
  rsaEncryption: '1.2.840.113549.1.1.1',
  md5WithRSAEncryption: '1.2.840.113549.1.1.4',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha224WithRSAEncryption: '1.2.840.113549.1.1.14',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  id_RSASSA_PSS: '1.2.840.113549.1.1.10',
  id_RSAES_OAEP: '1.2.840.113549.1.1.7',
  id_mgf1: '1.2.840.113549.1.1.8',
  id_pSpecified: '1.2.840.113549.1.1.9',
  // EC (RFC 5480, RFC 5753, RFC 5758)
  id_ecPublicKey: '1.2.840.10045.2.1',
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  ecdsa_with_SHA1: '1.2.840.10045.4.1',
  ecdsa_with_SHA224: '1.2.840.10045.4.3.1',
  ecdsa_with_SHA256: '1.2.840.10045.4.3.2',
  ecdsa_with_SHA384: '1.2.840.10045.4.3.3',
  ecdsa_with_SHA512: '1.2.840.10045.4.3.4',
  dhSinglePass_stdDH_sha1kdf_scheme: '1.3.133.16.840.63.0.2',
  dhSinglePass_stdDH_sha224kdf_scheme: '1.3.132.1.11.0',
  dhSinglePass_stdDH_sha256kdf_scheme: '1.3.132.1.11.1',
  dhSinglePass_stdDH_sha384kdf_scheme: '1.3.132.1.11.2',
  dhSinglePass_stdDH_sha512kdf_scheme: '1.3.132.1.11.3',
  dhSinglePass_cofactorDH_sha1kdf_scheme: '1.3.133.16.840.63.0.3',
  dhSinglePass_cofactorDH_sha224kdf_scheme: '1.3.132.1.14.0',
  dhSinglePass_cofactorDH_sha256kdf_scheme: '1.3.132.1.14.1',
  dhSinglePass_cofactorDH_sha384kdf_scheme: '1.3.132.1.14.2',
  dhSinglePass_cofactorDH_sha512kdf_scheme: '1.3.132.1.14.3',
  // EdDSA (RFC 8419)
  id_Ed25519: '1.3.101.112',
  id_Ed448: '1.3.101.113',
  // DSA (read-only, RFC 4134 vectors)
  id_dsa: '1.2.840.10040.4.1',
  id_dsa_with_sha1: '1.2.840.10040.4.3',
  id_dsa_with_sha256: '2.16.840.1.101.3.4.3.2',
  // content encryption
  aes128_CBC: '2.16.840.1.101.3.4.1.2',
  aes192_CBC: '2.16.840.1.101.3.4.1.22',
  aes256_CBC: '2.16.840.1.101.3.4.1.42',
  aes128_GCM: '2.16.840.1.101.3.4.1.6',
  aes192_GCM: '2.16.840.1.101.3.4.1.26',
  aes256_GCM: '2.16.840.1.101.3.4.1.46',
  aes128_wrap: '2.16.840.1.101.3.4.1.5',
  aes192_wrap: '2.16.840.1.101.3.4.1.25',
  aes256_wrap: '2.16.840.1.101.3.4.1.45',
  des_ede3_cbc: '1.2.840.113549.3.7',
  rc2_cbc: '1.2.840.113549.3.2',
  id_alg_CMSRC2wrap: '1.2.840.113549.1.9.16.3.7',
  id_alg_CMS3DESwrap: '1.2.840.113549.1.9.16.3.6',
  // certificates
  id_kp_emailProtection: '1.3.6.1.5.5.7.3.4',
  anyExtendedKeyUsage: '2.5.29.37.0',
  id_pe_authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  id_ad_ocsp: '1.3.6.1.5.5.7.48.1',
  id_ad_caIssuers: '1.3.6.1.5.5.7.48.2',
} as const;

export type OidName = keyof typeof OID;

const NAME_BY_OID = new Map<string, OidName>(Object.entries(OID).map(([name, oid]) => [oid, name as OidName]));

/** The RFC name of an OID, or the dotted form when Cachet has no name for it. */
export function oidName(oid: string): string {
  return NAME_BY_OID.get(oid) ?? oid;
}
