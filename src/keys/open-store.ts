/**
 * Opens the user's credential store for a CLI command: the vault file in $CACHET_HOME, its passphrase
 * from --passphrase-file, $CACHET_VAULT_PASSPHRASE or a prompt (asked twice when the vault is new, so a
 * typo cannot lock the user out of a key they just imported).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CachetError } from '../engine/errors.js';
import type { CliContext } from '../cli/context.js';
import { readSecret } from '../cli/secrets.js';
import { cachetHome } from '../cli/trust.js';
import { openFileCredentialStore, type FileCredentialStore } from './file-credential-store.js';

export const VAULT_FILE_NAME = 'credentials.vault';
export const VAULT_PASSPHRASE_ENV = 'CACHET_VAULT_PASSPHRASE';

export function userVaultPath(context: CliContext): string {
  return join(cachetHome(context), VAULT_FILE_NAME);
}

/**
 * @throws CachetError ERR_VAULT_NOT_FOUND (no vault and `createIfMissing` unset), ERR_VAULT_BAD_PASSPHRASE,
 *   ERR_VAULT_CORRUPT, ERR_PASSWORD_REQUIRED (no passphrase source and no terminal).
 */
export async function openUserStore(context: CliContext, options: { passphraseFile?: string | undefined; createIfMissing?: boolean } = {}): Promise<FileCredentialStore> {
  const path = userVaultPath(context);
  const isNew = !existsSync(path);
  if (isNew && !options.createIfMissing) {
    throw new CachetError('ERR_VAULT_NOT_FOUND', `there is no credential vault yet (${path}); import a certificate with "cachet cert import" first`);
  }
  const label = isNew ? 'New passphrase for your credential vault' : 'Passphrase of your credential vault';
  const passphrase = await readSecret({ file: options.passphraseFile, envVar: VAULT_PASSPHRASE_ENV, promptLabel: label }, context);
  if (isNew && options.passphraseFile === undefined && context.env[VAULT_PASSPHRASE_ENV] === undefined) {
    const again = await context.prompt('The same passphrase again: ', { secret: true });
    if (again !== passphrase) throw new CachetError('ERR_USAGE', 'the two passphrases differ; nothing was changed');
  }
  return openFileCredentialStore(path, passphrase, { createIfMissing: options.createIfMissing ?? false });
}
