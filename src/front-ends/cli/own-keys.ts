/**
 * The user's own keys for `cachet sign`, `decrypt` and `open` when no key file is named: taken from
 * the certificate source the policy names — the vault (unlocked with its passphrase), the token
 * (with its PIN) or the vault service — exactly as the mail client takes them (client/user-keys.ts).
 * A key file named on the command line (`--signer`, `--key`) still wins, for scripts and one-off use.
 */
import { CachetError } from '../../errors.js';
import type { CredentialStore } from '../../adapters/keys/credential-store.js';
import { TOKEN_PIN_ENV, type CertificateSource } from '../../adapters/keys/key-source.js';
import { vaultFileExists } from '../../adapters/keys/open-store.js';
import { loadEffectivePolicy, type EffectivePolicy } from '../../adapters/policy/policy.js';
import { userKeys, type KeyUnlock } from '../../use-cases/user-keys.js';
import type { CliContext } from './context.js';
import { readSecret } from './secrets.js';
import { cachetHome } from './trust.js';
import { personalHome } from './personal-home.js';
import { readNewPassphrase, readVaultPassphrase, VAULT_PASSPHRASE_ENV } from './vault-passphrase.js';

export interface OwnKeyValues {
  as?: string | undefined;
  'passphrase-file'?: string | undefined;
  'pin-file'?: string | undefined;
}

export interface OwnKeys {
  store: CredentialStore;
  source: CertificateSource;
  /** The user's effective policy and settings (which certificate plays which role). */
  policy: EffectivePolicy;
}

/** How a CLI command asks for what a key source needs: the vault passphrase (a new one twice) and the
 *  token PIN, each from its file option, the environment or a prompt, for the person whose directory is `home`. */
export function cliKeyUnlock(context: CliContext, home: string, files: { passphraseFile?: string | undefined; pinFile?: string | undefined }): KeyUnlock {
  const userContext: CliContext = { ...context, env: { ...context.env, CACHET_HOME: home } };
  return {
    passphrase: () => readVaultPassphrase(userContext, files.passphraseFile),
    newPassphrase: () => readNewPassphrase(userContext, { file: files.passphraseFile, envVar: VAULT_PASSPHRASE_ENV }),
    pin: () => readSecret({ file: files.pinFile, envVar: TOKEN_PIN_ENV, promptLabel: 'PIN of your token' }, context),
    env: userContext.env,
  };
}

/** Opens the user's key source; the caller closes it (a token session) when done. */
export async function openOwnKeys(context: CliContext, values: OwnKeyValues): Promise<OwnKeys & { close(): Promise<void> }> {
  const home = await personalHome(context, values.as);
  const policy = await loadEffectivePolicy({ home: cachetHome(context), settingsHome: home, policyFile: context.env.CACHET_POLICY });
  const keys = userKeys(policy, { dir: home, unlock: cliKeyUnlock(context, home, { passphraseFile: values['passphrase-file'], pinFile: values['pin-file'] }) });
  // An engine command without a key file and without a vault: say both ways out, not "the vault is empty".
  if (keys.source === 'email' && !vaultFileExists(home)) {
    throw new CachetError('ERR_USAGE', 'you have no credential vault yet: name a key file (--signer / --key FILE.p12), or import your certificate with "cachet cert import FILE.p12"');
  }
  return { store: await keys.store(), source: keys.source, policy, close: () => keys.close() };
}

/** Runs `use` with the user's key source and always lets go of it afterwards. */
export async function withOwnKeys<T>(context: CliContext, values: OwnKeyValues, use: (keys: OwnKeys) => Promise<T>): Promise<T> {
  const keys = await openOwnKeys(context, values);
  try {
    return await use(keys);
  } finally {
    await keys.close();
  }
}

/** Every encryption key of the source (old ones too, to read old mail). */
export { decryptorsOf as ownDecryptors } from '../../use-cases/read.js';
