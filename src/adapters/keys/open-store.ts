/**
 * Where the user's vault file lives in a home ($CACHET_HOME/credentials.vault) and how to open it
 * given a way to ask for the passphrase. How the passphrase is found (a file, the environment, a
 * prompt) belongs to the front end: see src/front-ends/cli/vault-passphrase.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openFileCredentialStore, type FileCredentialStore } from './file-credential-store.js';

export const VAULT_FILE_NAME = 'credentials.vault';
export const VAULT_PASSPHRASE_ENV = 'CACHET_VAULT_PASSPHRASE';

export function vaultFilePath(home: string): string {
  return join(home, VAULT_FILE_NAME);
}

export function vaultFileExists(home: string): boolean {
  return existsSync(vaultFilePath(home));
}

/**
 * Opens the vault of `home`, asking for the passphrase only now (not when nothing needs it).
 * @throws CachetError ERR_VAULT_NOT_FOUND (no vault and `createIfMissing` unset), ERR_VAULT_BAD_PASSPHRASE,
 *   ERR_VAULT_CORRUPT.
 */
export async function openVaultFile(home: string, passphrase: () => Promise<string>, options: { createIfMissing?: boolean } = {}): Promise<FileCredentialStore> {
  return openFileCredentialStore(vaultFilePath(home), await passphrase(), { createIfMissing: options.createIfMissing ?? false });
}
