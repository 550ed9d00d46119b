/**
 * What it takes to use the CA's keys: the CA passphrase (key files, CA vault) and the token PIN (keys
 * on a PKCS#11 token), each asked for only when the CA's settings show a key that needs it, and once
 * per command. A CaUnlock also owns what it opened — the CA vault, token sessions — and `close()`
 * logs out of the token, so a command leaves no session logged in behind it.
 */
import { CachetError, isCachetError } from '../../errors.js';
import { openFileCredentialStore, type FileCredentialStore } from '../keys/file-credential-store.js';
import { Pkcs11Token } from '../keys/pkcs11/token.js';

export interface CaSecretSources {
  /** The CA passphrase: key files and the CA vault. */
  passphrase?: () => Promise<string>;
  /** The PIN of the token that holds the CA keys. */
  pin?: () => Promise<string>;
}

export interface CaTokenLocation {
  /** Path of the PKCS#11 module (.so). */
  module: string;
  tokenLabel: string;
}

export class CaUnlock {
  private passphraseValue: Promise<string> | undefined;
  private pinValue: Promise<string> | undefined;
  private readonly vaults = new Map<string, Promise<FileCredentialStore>>();
  private readonly tokens = new Map<string, Pkcs11Token>();

  constructor(private readonly sources: CaSecretSources) {}

  /** For callers that hold the passphrase already (the library API, the demo organisation). */
  static withPassphrase(passphrase: string): CaUnlock {
    return new CaUnlock({ passphrase: async () => passphrase });
  }

  passphrase(): Promise<string> {
    if (!this.sources.passphrase) return Promise.reject(new CachetError('ERR_PASSWORD_REQUIRED', 'the CA passphrase is needed: give --passphrase-file, or set CACHET_CA_PASSPHRASE'));
    this.passphraseValue ??= this.sources.passphrase();
    return this.passphraseValue;
  }

  pin(): Promise<string> {
    if (!this.sources.pin) return Promise.reject(new CachetError('ERR_PASSWORD_REQUIRED', "the PIN of the CA's token is needed: give --pin-file, or set CACHET_TOKEN_PIN"));
    this.pinValue ??= this.sources.pin();
    return this.pinValue;
  }

  /**
   * The CA vault at `path`, opened once per command with the CA passphrase.
   * @throws CachetError ERR_VAULT_BAD_PASSPHRASE (wrong passphrase), ERR_VAULT_CORRUPT, ERR_VAULT_NOT_FOUND.
   */
  vault(path: string, options: { create?: boolean } = {}): Promise<FileCredentialStore> {
    let opened = this.vaults.get(path);
    if (!opened) {
      opened = (async () => {
        const passphrase = await this.passphrase();
        try {
          return await openFileCredentialStore(path, passphrase, { createIfMissing: options.create ?? false });
        } catch (error) {
          if (isCachetError(error, 'ERR_VAULT_BAD_PASSPHRASE')) {
            throw new CachetError('ERR_VAULT_BAD_PASSPHRASE', 'the CA passphrase is wrong (the CA vault could not be opened)', { cause: error, details: { file: path } });
          }
          if (isCachetError(error, 'ERR_VAULT_NOT_FOUND')) {
            throw new CachetError('ERR_VAULT_NOT_FOUND', `the CA vault ${path} is missing: the CA keys are gone; restore the file from a backup`, { cause: error, details: { file: path } });
          }
          throw error;
        }
      })();
      this.vaults.set(path, opened);
      // A failed open is not remembered: the next call asks again (and fails again, clearly).
      opened.catch(() => this.vaults.delete(path));
    }
    return opened;
  }

  /**
   * A logged-in session on the CA's token, one per token for the whole command.
   * @throws CachetError ERR_TOKEN_ABSENT, ERR_TOKEN_PIN_INCORRECT, ERR_TOKEN_PIN_LOCKED, ERR_TOKEN_FAILURE.
   */
  async token(location: CaTokenLocation): Promise<Pkcs11Token> {
    const key = `${location.module}\u0000${location.tokenLabel}`;
    const known = this.tokens.get(key);
    if (known) return known;
    const pin = await this.pin();
    let token: Pkcs11Token;
    try {
      token = Pkcs11Token.open({ module: location.module, tokenLabel: location.tokenLabel, pin });
    } catch (error) {
      if (isCachetError(error, 'ERR_TOKEN_ABSENT')) {
        throw new CachetError('ERR_TOKEN_ABSENT', `the CA's token "${location.tokenLabel}" is not present (PKCS#11 module ${location.module}); insert it and try again`, { cause: error, details: { tokenLabel: location.tokenLabel } });
      }
      if (isCachetError(error, 'ERR_TOKEN_PIN_INCORRECT')) {
        throw new CachetError('ERR_TOKEN_PIN_INCORRECT', `the PIN of the CA's token "${location.tokenLabel}" is wrong`, { cause: error, details: { tokenLabel: location.tokenLabel } });
      }
      throw error;
    }
    this.tokens.set(key, token);
    return token;
  }

  /** Logs out of every token session this unlock opened. */
  close(): void {
    for (const token of this.tokens.values()) token.close();
    this.tokens.clear();
  }
}
