/**
 * The one place a mail session's certificate validator is assembled, for every front end: the
 * user's and the organisation's trust anchors (src/adapters/keys/trust-store.ts), the policy's revocation
 * mode, whether legacy certificates pass, and the network the policy allows (`pkiFetch`) — a
 * bounded HTTP fetcher (src/adapters/net/http-fetcher.ts) through which the engine fetches missing
 * issuers (AIA caIssuers), CRLs and OCSP answers. The engine itself never opens a connection.
 *
 * Fetchers and their OCSP and CRL clients live as long as the process, one per scheme setting, so
 * their caches serve every validation (a mailbox asks once per issuer and certificate).
 */
import { createCertificateValidator } from '../engine/pki/create-validator.js';
import { createCrlClient, type CrlClient } from '../engine/pki/crl.js';
import type { PkiFetcher } from '../engine/pki/fetcher.js';
import { createOcspClient, type OcspClient } from '../engine/pki/ocsp.js';
import type { RevocationMode } from '../engine/pki/revocation.js';
import type { CertificateValidator } from '../engine/pki/validator.js';
import { createPkiHttpFetcher, type PkiFetchSchemes } from '../adapters/net/http-fetcher.js';
import { listTrustAnchors } from '../adapters/keys/trust-store.js';
import type { EffectivePolicy } from '../adapters/policy/policy.js';

export interface ValidatorSetup {
  /** The user's home: their own trust store ($HOME/trust). */
  userHome: string;
  /** The organisation's home, whose trust store the admin delivers; none for a personal home. */
  orgHome?: string | undefined;
  /** Read for revocationMode, pkiFetch and allowLegacyCertificates. */
  policy: EffectivePolicy;
  /** Anchors given for this one call (`--trust`), besides the stores'. */
  extraAnchors?: Uint8Array[];
  /** CRL files given for this one call (`--crl`). */
  crls?: Uint8Array[];
}

interface Network {
  fetcher: PkiFetcher;
  ocsp: OcspClient;
  crl: CrlClient;
}

const networks = new Map<PkiFetchSchemes, Network>();

/** The process's network for PKI fetches under `schemes`, made on first use. */
function network(schemes: PkiFetchSchemes): Network {
  let found = networks.get(schemes);
  if (!found) {
    const fetcher = createPkiHttpFetcher({ schemes });
    found = { fetcher, ocsp: createOcspClient({ fetcher }), crl: createCrlClient({ fetcher }) };
    networks.set(schemes, found);
  }
  return found;
}

/**
 * The validator for one user's session; undefined when there is no trust anchor at all (then a
 * signature can verify but never be trusted, and no recipient certificate is usable).
 * @throws CachetError ERR_CERT_MALFORMED when a --trust or --crl file cannot be read as one.
 */
export async function openCertificateValidator(setup: ValidatorSetup): Promise<CertificateValidator | undefined> {
  const stored = await listTrustAnchors(setup.userHome, setup.orgHome && setup.orgHome !== setup.userHome ? { organisationHome: setup.orgHome } : {});
  const anchors = [...(setup.extraAnchors ?? []), ...stored.map((entry) => entry.certificate)];
  if (anchors.length === 0) return undefined;
  const revocation = setup.policy.string('revocationMode') as RevocationMode;
  const schemes = setup.policy.string('pkiFetch') as PkiFetchSchemes | 'off';
  const online = schemes === 'off' ? undefined : network(schemes);
  // Revocation off: no CRL or OCSP is fetched, but missing issuers still are (they build the chain).
  const revocationOnline = online && revocation !== 'off' ? online : undefined;
  return createCertificateValidator({
    trustAnchors: anchors,
    crls: setup.crls ?? [],
    revocation,
    fetcher: online?.fetcher,
    ocsp: revocationOnline ? { enabled: true, client: revocationOnline.ocsp } : { enabled: false },
    crlFetch: revocationOnline ? { enabled: true, client: revocationOnline.crl } : { enabled: false },
    legacyCertificates: setup.policy.boolean('allowLegacyCertificates'),
  });
}
