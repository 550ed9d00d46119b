/**
 * The user's keys as a session holds them: the one certificate source the admin's policy names
 * (opened through keys/key-source.ts, the only place that branches on it), opened lazily — reading
 * signed mail never asks for a PIN or a passphrase — and the vault that keeps named secrets (the
 * directory bind password). Front ends say only how a passphrase or a PIN is asked.
 */
import { join } from 'node:path';
import { CachetError } from '../errors.js';
import type { CredentialStore } from '../adapters/keys/credential-store.js';
import { openFileCredentialStore, type FileCredentialStore } from '../adapters/keys/file-credential-store.js';
import { openCredentialSource, type CertificateSource, type CredentialSource } from '../adapters/keys/key-source.js';
import { vaultFileExists, vaultFilePath } from '../adapters/keys/open-store.js';
import type { EffectivePolicy } from '../adapters/policy/policy.js';
import { certificateSourceOf } from './certificate-source.js';

/** How the front end asks for what a source needs; each is called only when that source is opened. */
export interface KeyUnlock {
  /** The passphrase of the user's existing vault. */
  passphrase(): Promise<string>;
  /** The passphrase of a vault created now (the CLI asks twice); default `passphrase`. */
  newPassphrase?(): Promise<string>;
  /** derivedCredentials: the token's PIN. */
  pin(): Promise<string>;
  /** sharedVault: the environment the app-token lookup reads (a server passes {}: its own is no user's). */
  env?: NodeJS.ProcessEnv;
}

export interface UserKeysOptions {
  /** The user's directory: their vault file, vault-service socket and app token. */
  dir: string;
  unlock: KeyUnlock;
  /**
   * Under the shared vault, the user's credentials.vault belongs to the vault service (locked with its
   * owner's passphrase): a front end that unlocks with another secret keeps its named secrets in this
   * file of the user's directory instead. Default: the user's vault.
   */
  sharedVaultSecretsFile?: string;
}

export interface UserKeys {
  readonly source: CertificateSource;
  /** The store of the source, opened on first use. `createIfMissing`: the email source's vault is created now. */
  store(createIfMissing?: boolean): Promise<CredentialStore>;
  /** Where named secrets are kept. @throws ERR_VAULT_NOT_FOUND without a vault unless `createIfMissing`. */
  secrets(createIfMissing?: boolean): Promise<FileCredentialStore>;
  /** Whether the source's store is open (a token unlocked). */
  readonly isOpen: boolean;
  /** Lets go of the source (ends a token session); the next `store()` opens it again. */
  close(): Promise<void>;
}

export function userKeys(policy: EffectivePolicy, options: UserKeysOptions): UserKeys {
  const { source, token } = certificateSourceOf(policy);
  const { dir, unlock } = options;
  let vault: FileCredentialStore | undefined;
  const openVault = async (createIfMissing: boolean): Promise<FileCredentialStore> => {
    if (vault) return vault;
    const exists = vaultFileExists(dir);
    if (!exists && !createIfMissing) throw new CachetError('ERR_VAULT_NOT_FOUND', `there is no credential vault yet (${vaultFilePath(dir)}); import a certificate with "cachet cert import" first`);
    const passphrase = exists ? await unlock.passphrase() : await (unlock.newPassphrase ?? unlock.passphrase)();
    vault = await openFileCredentialStore(vaultFilePath(dir), passphrase, { createIfMissing });
    return vault;
  };
  let secretsFile: FileCredentialStore | undefined;
  let opened: CredentialSource | undefined;
  return {
    source,
    get isOpen() {
      return opened !== undefined;
    },
    async store(createIfMissing = false) {
      opened ??= await openCredentialSource(source, {
        home: dir,
        vault: openVault,
        passphrase: () => unlock.passphrase(),
        pin: () => unlock.pin(),
        token,
        createIfMissing,
        ...(unlock.env ? { env: unlock.env } : {}),
      });
      return opened;
    },
    async secrets(createIfMissing = false) {
      if (source !== 'sharedVault' || options.sharedVaultSecretsFile === undefined) return openVault(createIfMissing);
      secretsFile ??= await openFileCredentialStore(join(dir, options.sharedVaultSecretsFile), await unlock.passphrase(), { createIfMissing: true });
      return secretsFile;
    },
    async close() {
      const source = opened;
      opened = undefined;
      await source?.close();
    },
  };
}
