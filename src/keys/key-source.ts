/**
 * Where the user's keys come from, chosen by the admin's policy "S/MIME certificate source":
 * the shared vault (keys held by the vault service), derived credentials (keys on a PKCS#11 token)
 * or e-mail (PKCS#12 files mailed to the user and imported into the local vault). Signing and
 * decryption take keys only from the configured source, through this one interface.
 */
import { X509Certificate } from 'node:crypto';
import { CachetError } from '../engine/errors.js';
import type { Decryptor, Signer } from '../engine/keys.js';
import { certificateRole } from '../engine/pki/certificate-role.js';
import type { CliContext } from '../cli/context.js';
import { readSecret } from '../cli/secrets.js';
import type { CredentialRole, CredentialStore, StoredCredential } from './credential-store.js';
import { openUserStore } from './open-store.js';
import { DEFAULT_PKCS11_MODULE, Pkcs11Token } from './pkcs11/token.js';

export type CertificateSource = 'sharedVault' | 'derivedCredentials' | 'email';

export const TOKEN_PIN_ENV = 'CACHET_TOKEN_PIN';

/** What a key source tells about a credential: the part of a stored credential every source knows. */
export type KeySourceCredential = Pick<StoredCredential, 'id' | 'role' | 'active' | 'certificate' | 'chain' | 'subject'>;

export interface KeySource {
  readonly source: CertificateSource;
  /** The active signing credential, or undefined when the source has none. */
  signer(): Promise<Signer | undefined>;
  /** Every encryption-capable credential (active and older ones, to read old mail). */
  decryptors(): Promise<Decryptor[]>;
  credentials(): Promise<KeySourceCredential[]>;
  /** Throws ERR_SOURCE_EMPTY, saying what to do, when the source holds nothing. */
  requireCredentials(): Promise<KeySourceCredential[]>;
  close(): Promise<void>;
}

export interface KeySourceConfig {
  /** email: the local vault; by default the user's vault in $CACHET_HOME. */
  store?: CredentialStore;
  passphraseFile?: string;
  /** derivedCredentials: the PKCS#11 module, token and PIN. */
  token?: { module?: string; tokenLabel?: string; pinFile?: string };
}

const WHAT_TO_DO: Record<CertificateSource, string> = {
  email: 'import the PKCS#12 file you were sent with "cachet cert import FILE.p12"',
  derivedCredentials: 'insert your token, or have derived credentials issued onto it',
  sharedVault: 'open your identity-provider app so that it deposits your credentials in the vault',
};

/** A source over a {@link CredentialStore} (the local vault, or any other store). */
export function storeKeySource(source: CertificateSource, store: CredentialStore): KeySource {
  const credentials = async (): Promise<KeySourceCredential[]> =>
    (await store.list()).map(({ id, role, active, certificate, chain, subject }) => ({ id, role, active, certificate, chain, subject }));
  return withCommon(source, {
    credentials,
    async signer() {
      const active = await store.active('signing');
      if (!active) return undefined;
      return { certificate: active.certificate, chain: active.chain, key: await store.privateKey(active.id) };
    },
    async decryptors() {
      const all = (await store.list()).filter((c) => c.role === 'encryption');
      return Promise.all(all.map(async (c) => ({ certificate: c.certificate, key: await store.privateKey(c.id) })));
    },
    async close() {},
  });
}

function withCommon(source: CertificateSource, parts: Omit<KeySource, 'source' | 'requireCredentials'>): KeySource {
  return {
    source,
    ...parts,
    async requireCredentials() {
      const list = await parts.credentials();
      if (list.length === 0) {
        throw new CachetError('ERR_SOURCE_EMPTY', `the certificate source "${source}" set by your administrator holds no credentials: ${WHAT_TO_DO[source]}`, { details: { source } });
      }
      return list;
    },
  };
}

function tokenKeySource(token: Pkcs11Token): KeySource {
  const entries = () =>
    token.credentials().map((c) => {
      const { role } = certificateRole(c.certificate);
      // A dual-purpose certificate on a token serves both roles: the token holds one key for it.
      const roles: CredentialRole[] = role === 'dual' ? ['signing', 'encryption'] : role === 'none' ? [] : [role];
      return { token: c, roles };
    });
  return withCommon('derivedCredentials', {
    async credentials() {
      return entries().flatMap(({ token: c, roles }) =>
        roles.map((role) => ({ id: c.id, role, active: true, certificate: new Uint8Array(c.certificate), chain: [], subject: new X509Certificate(c.certificate).subject })),
      );
    },
    async signer() {
      const found = entries().find((e) => e.roles.includes('signing'));
      return found ? { certificate: new Uint8Array(found.token.certificate), key: token.privateKey(found.token) } : undefined;
    },
    async decryptors() {
      return entries()
        .filter((e) => e.roles.includes('encryption'))
        .map((e) => ({ certificate: new Uint8Array(e.token.certificate), key: token.privateKey(e.token) }));
    },
    async close() {
      token.close();
    },
  });
}

/**
 * @throws ERR_NOT_IMPLEMENTED for sharedVault (the vault service is not in this build yet),
 *   ERR_TOKEN_* for a token source, ERR_VAULT_* for the local vault.
 */
export async function openKeySource(source: CertificateSource, config: KeySourceConfig, context: CliContext): Promise<KeySource> {
  switch (source) {
    case 'email':
      return storeKeySource('email', config.store ?? (await openUserStore(context, { passphraseFile: config.passphraseFile })));
    case 'derivedCredentials': {
      const pin = await readSecret({ file: config.token?.pinFile, envVar: TOKEN_PIN_ENV, promptLabel: 'PIN of your token' }, context);
      const tokenConfig = { module: config.token?.module ?? DEFAULT_PKCS11_MODULE, pin, ...(config.token?.tokenLabel !== undefined ? { tokenLabel: config.token.tokenLabel } : {}) };
      return tokenKeySource(Pkcs11Token.open(tokenConfig));
    }
    case 'sharedVault':
      throw new CachetError('ERR_NOT_IMPLEMENTED', 'the shared vault service is not available in this build; ask your administrator to set the certificate source to "email" or "derivedCredentials"');
  }
}

/** "Enable S/MIME on first launch": on with credentials → enabled; on without → ask to import; off → disabled. */
export async function firstLaunchSmimeState(policy: { enableOnFirstLaunch: boolean }, source: KeySource): Promise<'enabled' | 'ask-import' | 'disabled'> {
  if (!policy.enableOnFirstLaunch) return 'disabled';
  return (await source.credentials()).length > 0 ? 'enabled' : 'ask-import';
}
