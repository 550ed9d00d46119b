/**
 * The vault passphrase for CLI commands: from --passphrase-file, $CACHET_VAULT_PASSPHRASE or a prompt
 * (asked twice when it is a new one, so a typo cannot lock the user out of a key they just imported).
 */
import { existsSync } from 'node:fs';
import { CachetError } from '../../errors.js';
import { openFileCredentialStore, type FileCredentialStore } from '../../adapters/keys/file-credential-store.js';
import { VAULT_PASSPHRASE_ENV, vaultFilePath } from '../../adapters/keys/open-store.js';
import type { CliContext } from './context.js';
import { readSecret } from './secrets.js';
import { cachetHome } from './trust.js';

export { VAULT_PASSPHRASE_ENV };

export function userVaultPath(context: CliContext): string {
  return vaultFilePath(cachetHome(context));
}

/** The passphrase of an existing vault. */
export function readVaultPassphrase(context: CliContext, file: string | undefined, label = 'Passphrase of your credential vault'): Promise<string> {
  return readSecret({ file, envVar: VAULT_PASSPHRASE_ENV, promptLabel: label }, context);
}

/**
 * A new passphrase: from the file or `envVar` as given, else asked twice at the terminal.
 * @throws CachetError ERR_USAGE when the two answers differ or it is empty.
 */
export async function readNewPassphrase(context: CliContext, options: { file: string | undefined; envVar: string; label?: string }): Promise<string> {
  const label = options.label ?? 'New passphrase for your credential vault';
  const passphrase = await readSecret({ file: options.file, envVar: options.envVar, promptLabel: label }, context);
  if (options.file === undefined && context.env[options.envVar] === undefined) {
    const again = await context.prompt('The same passphrase again: ', { secret: true });
    if (again !== passphrase) throw new CachetError('ERR_USAGE', 'the two passphrases differ; nothing was changed');
  }
  if (passphrase.length === 0) throw new CachetError('ERR_USAGE', 'the vault passphrase must not be empty; nothing was changed');
  return passphrase;
}

/**
 * Opens the user's credential store for a CLI command: the vault file in $CACHET_HOME.
 * @throws CachetError ERR_VAULT_NOT_FOUND (no vault and `createIfMissing` unset), ERR_VAULT_BAD_PASSPHRASE,
 *   ERR_VAULT_CORRUPT, ERR_PASSWORD_REQUIRED (no passphrase source and no terminal).
 */
export async function openUserStore(context: CliContext, options: { passphraseFile?: string | undefined; createIfMissing?: boolean } = {}): Promise<FileCredentialStore> {
  const path = userVaultPath(context);
  const isNew = !existsSync(path);
  if (isNew && !options.createIfMissing) {
    throw new CachetError('ERR_VAULT_NOT_FOUND', `there is no credential vault yet (${path}); import a certificate with "cachet cert import" first`);
  }
  const passphrase = isNew
    ? await readNewPassphrase(context, { file: options.passphraseFile, envVar: VAULT_PASSPHRASE_ENV })
    : await readVaultPassphrase(context, options.passphraseFile);
  return openFileCredentialStore(path, passphrase, { createIfMissing: options.createIfMissing ?? false });
}
