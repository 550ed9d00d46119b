/**
 * The user's own keys for `cachet sign`, `decrypt` and `open` when no key file is named: taken from
 * the certificate source the policy names — the vault (unlocked with its passphrase), the token
 * (with its PIN) or the vault service — exactly as the mail client takes them. A key file named on
 * the command line (`--signer`, `--key`) still wins, for scripts and one-off use.
 */
import { certificateSourceOf } from '../client/certificate-source.js';
import { CachetError } from '../engine/errors.js';
import type { CredentialStore } from '../keys/credential-store.js';
import { openCredentialSource, TOKEN_PIN_ENV, type CertificateSource, type CredentialSourceOptions } from '../keys/key-source.js';
import { vaultFileExists } from '../keys/open-store.js';
import { loadEffectivePolicy, type EffectivePolicy } from '../policy/policy.js';
import type { CliContext } from './context.js';
import { readSecret } from './secrets.js';
import { cachetHome } from './trust.js';
import { personalHome } from './personal-home.js';
import { readVaultPassphrase } from './vault-passphrase.js';

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

/** Opens the user's key source; the caller closes it (a token session) when done. */
export async function openOwnKeys(context: CliContext, values: OwnKeyValues): Promise<OwnKeys & { close(): Promise<void> }> {
  const home = await personalHome(context, values.as);
  const policy = await loadEffectivePolicy({ home: cachetHome(context), settingsHome: home, policyFile: context.env.CACHET_POLICY });
  const { source, token } = certificateSourceOf(policy);
  if (source === 'email' && !vaultFileExists(home)) {
    throw new CachetError('ERR_USAGE', 'you have no credential vault yet: name a key file (--signer / --key FILE.p12), or import your certificate with "cachet cert import FILE.p12"');
  }
  const store = await openCredentialSource(source, sourceOptions(context, home, token, { passphraseFile: values['passphrase-file'], pinFile: values['pin-file'] }));
  return { store, source, policy, close: () => store.close() };
}

/** How a CLI command asks for what a key source needs: the vault passphrase and the token PIN (each
 *  from its file option, the environment or a prompt), for the person whose directory is `home`. */
export function sourceOptions(context: CliContext, home: string, token: CredentialSourceOptions['token'], files: { passphraseFile?: string | undefined; pinFile?: string | undefined }): CredentialSourceOptions {
  const userContext: CliContext = { ...context, env: { ...context.env, CACHET_HOME: home } };
  return {
    home,
    env: userContext.env,
    passphrase: () => readVaultPassphrase(userContext, files.passphraseFile),
    pin: () => readSecret({ file: files.pinFile, envVar: TOKEN_PIN_ENV, promptLabel: 'PIN of your token' }, context),
    ...(token ? { token } : {}),
  };
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
export { decryptorsOf as ownDecryptors } from '../client/read.js';
