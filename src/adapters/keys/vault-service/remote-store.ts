/**
 * The shared vault as a {@link CredentialStore} for an enrolled app: credentials are listed by the
 * service, and each private key is a handle whose every operation is a request to the service — the
 * engine signs and decrypts through it unchanged, and the key itself never reaches this process.
 * Adding, removing and exporting are refused: credentials reach the shared vault from the
 * identity-provider app (`cachet vault deposit`), and its keys never leave it.
 */
import { X509Certificate } from 'node:crypto';
import { CachetError } from '../../../errors.js';
import type { DigestAlgorithm, KeyTransportPadding, NamedCurve, PrivateKeyHandle, SignatureScheme } from '../../../engine/keys.js';
import { servesUse, type CredentialStore, type CredentialUse, type StoredCredential } from '../credential-store.js';
import type { VaultServiceClient } from './client.js';
import { b64, fromWireCredential, paddingToWire, unb64, type WireCredential } from './wire.js';

const CURVES: Record<string, NamedCurve> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** A PrivateKeyHandle for `credential` whose operations run in the vault service. */
export function remoteKeyHandle(client: VaultServiceClient, token: string, credential: Pick<StoredCredential, 'id' | 'certificate'>): PrivateKeyHandle {
  const publicKey = new X509Certificate(Buffer.from(credential.certificate)).publicKey;
  const type = publicKey.asymmetricKeyType;
  const id = credential.id;
  const sign = async (data: Uint8Array, scheme: SignatureScheme, digest: DigestAlgorithm) =>
    unb64((await client.app<{ signature: string }>('sign', token, { id, data: b64(data), scheme, digest })).signature);
  if (type === 'rsa') {
    return {
      kind: 'rsa',
      modulusBits: publicKey.asymmetricKeyDetails?.modulusLength ?? 0,
      sign,
      decryptKeyTransport: async (encryptedKey: Uint8Array, padding: KeyTransportPadding) =>
        unb64((await client.app<{ key: string }>('decrypt', token, { id, encryptedKey: b64(encryptedKey), padding: paddingToWire(padding) })).key),
    };
  }
  if (type === 'ec') {
    const curve = CURVES[publicKey.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `the EC curve ${publicKey.asymmetricKeyDetails?.namedCurve ?? '(unknown)'} is not supported`);
    return {
      kind: 'ec',
      curve,
      sign,
      deriveSharedSecret: async (originatorPublicKeySpki: Uint8Array) =>
        unb64((await client.app<{ secret: string }>('derive', token, { id, originatorPublicKeySpki: b64(originatorPublicKeySpki) })).secret),
    };
  }
  if (type === 'ed25519') return { kind: 'ed25519', sign };
  throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `keys of type ${type ?? 'unknown'} are not supported`);
}

/** Lists what the service holds for this app (certificates, roles, ids; never a key). */
export async function listVaultCredentials(client: VaultServiceClient, token: string): Promise<StoredCredential[]> {
  return (await client.app<{ credentials: WireCredential[] }>('list', token)).credentials.map(fromWireCredential);
}

function depositElsewhere(): CachetError {
  return new CachetError('ERR_POLICY_FORBIDS', 'your credentials are kept in the shared vault: they are added by your identity-provider app ("cachet vault deposit"), not by the mail client');
}

export function vaultServiceStore(client: VaultServiceClient, token: string): CredentialStore {
  const list = () => listVaultCredentials(client, token);
  return {
    list,
    async active(role: CredentialUse) {
      return (await list()).find((c) => servesUse(c, role) && c.active);
    },
    async privateKey(id) {
      const credential = (await list()).find((c) => c.id === id);
      if (!credential) throw new CachetError('ERR_CERT_NOT_FOUND', `the shared vault holds no credential ${id}`, { details: { id } });
      return remoteKeyHandle(client, token, credential);
    },
    async add() {
      throw depositElsewhere();
    },
    async remove() {
      throw new CachetError('ERR_POLICY_FORBIDS', 'credentials in the shared vault are managed by your identity-provider app, not by the mail client');
    },
    async exportPrivateKey() {
      throw new CachetError('ERR_POLICY_FORBIDS', 'keys in the shared vault never leave the vault service; they cannot be exported');
    },
  };
}
