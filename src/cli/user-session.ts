/**
 * What the mail-client commands share: who is acting (--as, $CACHET_USER, or the only user), their
 * own context (their directory as CACHET_HOME; the organisation's home for policy and trusted
 * roots), the effective policy, their credential store, address book, validator and transport.
 */
import type { CertificateValidator } from '../engine/pki/validator.js';
import type { CredentialStore } from '../keys/credential-store.js';
import type { FileCredentialStore } from '../keys/file-credential-store.js';
import { openUserStore } from './vault-passphrase.js';
import { sourceOptions } from './own-keys.js';
import { OWN_KEY_OPTIONS } from './own-key-options.js';
import { openCredentialSource, type CertificateSource, type CredentialSource } from '../keys/key-source.js';
import { loadEffectivePolicy, type EffectivePolicy } from '../policy/policy.js';
import { LocalTransport, SmtpTransport, type Transport } from '../mail/transport.js';
import { loadAccount, smtpTransportWithVaultPassword } from '../mail/account-config.js';
import { recipientResolver, type RecipientResolver } from '../client/recipients.js';
import { certificateSourceOf } from '../client/certificate-source.js';
import { currentUser, findUser, type LocalUser } from '../client/users.js';
import type { CliContext } from './context.js';
import { buildValidator, cachetHome } from './trust.js';

export interface UserSession {
  home: string;
  user: LocalUser;
  /** The context with the user's directory as CACHET_HOME (their vault, settings, trust store). */
  userContext: CliContext;
  policy: EffectivePolicy;
  validator: CertificateValidator | undefined;
  transport: Transport;
  /** Recipients' certificates from the address book and the directory, as the policy orders them. */
  resolveRecipients: RecipientResolver;
  /** The user's keys, from the certificate source the admin's policy names: the vault file (email),
   *  the token (derivedCredentials) or the vault service (sharedVault). */
  store(createIfMissing?: boolean): Promise<CredentialStore>;
  /** Which source that is, for "it holds nothing: do this" messages. */
  source: CertificateSource;
  /** Lets go of the source (ends a token session). */
  close(): Promise<void>;
}

export interface UserSessionOptions {
  as?: string | undefined;
  passphraseFile?: string | undefined;
  /** derivedCredentials: the token PIN's file (else $CACHET_TOKEN_PIN, else a prompt). */
  pinFile?: string | undefined;
}

export async function openUserSession(context: CliContext, options: UserSessionOptions): Promise<UserSession> {
  const home = cachetHome(context);
  const localUser = await currentUser(home, options.as ?? context.env.CACHET_USER);
  const userContext: CliContext = { ...context, env: { ...context.env, CACHET_HOME: localUser.dir, CACHET_ORG_HOME: home } };
  const policy = await loadEffectivePolicy({ home, settingsHome: localUser.dir, policyFile: context.env.CACHET_POLICY });
  let vault: FileCredentialStore | undefined;
  const openVault = async (createIfMissing: boolean): Promise<FileCredentialStore> => {
    vault ??= await openUserStore(userContext, { passphraseFile: options.passphraseFile, createIfMissing });
    return vault;
  };
  // No account.json: local delivery only. Its passwords are in the vault (src/mail/account-config.ts).
  const config = (await loadAccount(localUser.dir, () => openVault(false))) ?? {};
  // An IMAP account reads from the server; the Outbox stays local, so nothing waits on the server.
  // The IMAP client (imapflow, ~130 ms to load) only for those who read from a server.
  const user = config.imap ? { ...localUser, mailbox: new (await import('../mail/imap.js')).ImapMailbox(config.imap) } : localUser;
  const transport = config.smtp ? smtpTransportWithVaultPassword(config.smtp, () => openVault(false), (settings) => new SmtpTransport(settings)) : new LocalTransport(async (address) => (await findUser(home, address))?.maildir);
  const { source, token } = certificateSourceOf(policy);
  let opened: CredentialSource | undefined;
  /** The vault file stays the email source's store, and the place of kept secrets for every source. */
  const openStore = async (createIfMissing: boolean): Promise<CredentialStore> => {
    if (source === 'email') return openVault(createIfMissing);
    opened ??= await openCredentialSource(source, sourceOptions(context, localUser.dir, token, options));
    return opened;
  };
  const validator = await buildValidator({ policy }, userContext);
  return {
    home,
    user,
    userContext,
    policy,
    validator,
    transport,
    resolveRecipients: recipientResolver({ userDir: localUser.dir, orgHome: home, policy, validator, secrets: () => openVault(false) }),
    store: (createIfMissing = false) => openStore(createIfMissing),
    source,
    async close() {
      await opened?.close();
      opened = undefined;
    },
  };
}

/** Who acts and how their keys are unlocked: the same options as the engine commands' own keys. */
export const USER_OPTIONS = OWN_KEY_OPTIONS;
