/**
 * One person's mail session, the same for every front end (the CLI's commands, the web client): who
 * acts, the effective policy, their keys (opened lazily, from the one source the policy names), a
 * validator that applies the policy's revocation mode and network (client/certificate-validator.ts), the mailbox and transport
 * of their account (IMAP/SMTP or the embedded Maildir), the recipient resolver, and `close()`, which
 * lets go of everything it opened (the token session, the IMAP connection).
 *
 * Front ends only say how secrets are asked (KeyUnlock) and turn arguments or HTTP into calls of the
 * use cases (send.ts, read.ts, folder-listing.ts) with this session.
 */
import type { CertificateValidator } from '../engine/pki/validator.js';
import type { CredentialStore } from '../adapters/keys/credential-store.js';
import type { CertificateSource } from '../adapters/keys/key-source.js';
import type { Transport } from '../adapters/mail/transport.js';
import type { AccountConfig } from '../adapters/mail/account-config.js';
import { loadEffectivePolicy, type EffectivePolicy } from '../adapters/policy/policy.js';
import { openAccount } from './account.js';
import { openCertificateValidator } from './certificate-validator.js';
import { recipientResolver, type RecipientResolver } from './recipients.js';
import { userKeys, type KeyUnlock, type UserKeys } from './user-keys.js';
import type { LocalUser } from './users.js';
import type { FileCredentialStore } from '../adapters/keys/file-credential-store.js';

export interface MailSessionOptions {
  /** The organisation's home: the admin's policy and trusted roots. */
  home: string;
  /** The user, as found in the home (their directory and local Maildir). */
  user: LocalUser;
  /** An admin policy file given outside the home ($CACHET_POLICY). */
  policyFile?: string | undefined;
  unlock: KeyUnlock;
  /** See UserKeysOptions.sharedVaultSecretsFile. */
  sharedVaultSecretsFile?: string;
  /** The account to use instead of the user's account.json (a server that signs users in with their mail password). */
  account?: AccountConfig;
}

export interface MailSession {
  readonly home: string;
  /** The user, with the mailbox of their account (IMAP or the local Maildir). */
  readonly user: LocalUser;
  /** The effective policy as it stood when the session opened (or was last refreshed). */
  readonly policy: EffectivePolicy;
  readonly source: CertificateSource;
  readonly validator: CertificateValidator | undefined;
  readonly transport: Transport;
  /** Recipients' certificates from the address book and the directory, as the policy orders them. */
  readonly resolveRecipients: RecipientResolver;
  /** The user's keys, opened on first use. */
  store(createIfMissing?: boolean): Promise<CredentialStore>;
  /** Where named secrets (the directory bind password) are kept. */
  secrets(createIfMissing?: boolean): Promise<FileCredentialStore>;
  /** Whether the key source is open (a token unlocked). */
  readonly keysOpen: boolean;
  /** Lets go of the keys only (a token to unlock with another PIN); the next use opens them again. */
  closeKeys(): Promise<void>;
  /** Reads the policy and the trust stores again (a long-lived session: an admin's edit applies to the next request). */
  refresh(): Promise<void>;
  /** Lets go of everything: the key source and the account's connections. */
  close(): Promise<void>;
}

export async function openMailSession(options: MailSessionOptions): Promise<MailSession> {
  const { home } = options;
  const localUser = options.user;
  const keysFor = (policy: EffectivePolicy): UserKeys =>
    userKeys(policy, { dir: localUser.dir, unlock: options.unlock, ...(options.sharedVaultSecretsFile ? { sharedVaultSecretsFile: options.sharedVaultSecretsFile } : {}) });

  let policy!: EffectivePolicy;
  let keys: UserKeys | undefined;
  let validator: CertificateValidator | undefined;
  let resolveRecipients!: RecipientResolver;
  const load = async (): Promise<void> => {
    policy = await loadEffectivePolicy({ home, settingsHome: localUser.dir, policyFile: options.policyFile });
    const next = keysFor(policy);
    // The admin changed the certificate source: the old one's keys are let go of.
    if (keys && keys.source !== next.source) await keys.close();
    if (!keys || keys.source !== next.source) keys = next;
    validator = await openCertificateValidator({ userHome: localUser.dir, orgHome: home, policy });
    const currentKeys = keys;
    resolveRecipients = recipientResolver({ userDir: localUser.dir, orgHome: home, policy, validator, secrets: () => currentKeys.secrets() });
  };
  await load();
  // Account passwords are named secrets of the vault, opened only when one is needed.
  const account = await openAccount(home, localUser, () => keys!.secrets(), options.account);
  const user: LocalUser = { ...localUser, mailbox: account.mailbox };
  return {
    home,
    user,
    get policy() {
      return policy;
    },
    get source() {
      return keys!.source;
    },
    get validator() {
      return validator;
    },
    transport: account.transport,
    get resolveRecipients() {
      return resolveRecipients;
    },
    store: (createIfMissing) => keys!.store(createIfMissing),
    secrets: (createIfMissing) => keys!.secrets(createIfMissing),
    get keysOpen() {
      return keys!.isOpen;
    },
    closeKeys: () => keys!.close(),
    refresh: load,
    async close() {
      try {
        await keys?.close();
      } finally {
        await account.close();
      }
    },
  };
}
