/**
 * What the mail-client commands share: who is acting (--as, $CACHET_USER, or the only user), their
 * own context (their directory as CACHET_HOME; the organisation's home for policy and trusted
 * roots), the effective policy, their credential store, address book, validator and transport.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificateValidator } from '../engine/pki/validator.js';
import type { CredentialStore } from '../keys/credential-store.js';
import { openUserStore } from '../keys/open-store.js';
import { loadEffectivePolicy, type EffectivePolicy } from '../policy/policy.js';
import { LocalTransport, SmtpTransport, type SmtpSettings, type Transport } from '../mail/transport.js';
import { ImapMailbox, type ImapSettings } from '../mail/imap.js';
import { AddressBook } from '../client/address-book.js';
import { DirectoryCache } from '../directory/cache.js';
import { resolveRecipients } from '../directory/resolve-recipients.js';
import { currentUser, findUser, type LocalUser } from '../client/users.js';
import type { CliContext } from './context.js';
import { buildValidator, cachetHome } from './trust.js';

export interface UserSession {
  home: string;
  user: LocalUser;
  /** The context with the user's directory as CACHET_HOME (their vault, settings, trust store). */
  userContext: CliContext;
  policy: EffectivePolicy;
  addressBook: AddressBook;
  validator: CertificateValidator | undefined;
  transport: Transport;
  /** The directory named by the policy (ldapUrl, ldapBaseDn, anonymous access), if any. */
  directory: ((addresses: string[]) => Promise<Map<string, { certificate?: Uint8Array; reason?: string }>>) | undefined;
  store(createIfMissing?: boolean): Promise<CredentialStore>;
}

interface AccountConfig {
  smtp?: SmtpSettings;
  imap?: ImapSettings;
}

export async function openUserSession(context: CliContext, options: { as?: string | undefined; passphraseFile?: string | undefined }): Promise<UserSession> {
  const home = cachetHome(context);
  const localUser = await currentUser(home, options.as ?? context.env.CACHET_USER);
  const userContext: CliContext = { ...context, env: { ...context.env, CACHET_HOME: localUser.dir, CACHET_ORG_HOME: home } };
  const policy = await loadEffectivePolicy({ home, settingsHome: localUser.dir, policyFile: context.env.CACHET_POLICY });
  let config: AccountConfig = {};
  try {
    config = JSON.parse(await readFile(join(localUser.dir, 'account.json'), 'utf8')) as AccountConfig;
  } catch {
    // no account configuration: local delivery only
  }
  // An IMAP account reads from the server; the Outbox stays local, so nothing waits on the server.
  const user = config.imap ? { ...localUser, mailbox: new ImapMailbox(config.imap) } : localUser;
  const transport = config.smtp ? new SmtpTransport(config.smtp) : new LocalTransport(async (address) => (await findUser(home, address))?.maildir);
  let store: CredentialStore | undefined;
  const validator = await buildValidator({ revocation: policy.string('revocationMode') as 'off' | 'soft-fail' | 'hard-fail' }, userContext);
  const ldapUrl = policy.get('ldapUrl') as string | null;
  const baseDn = policy.get('ldapBaseDn') as string | null;
  const directory =
    ldapUrl && baseDn
      ? async (addresses: string[]) => {
          const cache = await DirectoryCache.open(userContext.env.CACHET_HOME ?? home);
          const resolved = await resolveRecipients(addresses, { directory: { url: ldapUrl, baseDn, anonymous: policy.boolean('ldapAnonymous') }, cache, sourceOrder: 'ldap', validator });
          return new Map(resolved.map((r) => [r.address, r.certificate ? { certificate: r.certificate.der } : { reason: r.reason ?? 'no certificate in the directory' }]));
        }
      : undefined;
  return {
    home,
    user,
    userContext,
    policy,
    addressBook: await AddressBook.open(user.dir),
    validator,
    transport,
    directory,
    async store(createIfMissing = false) {
      store ??= await openUserStore(userContext, { passphraseFile: options.passphraseFile, createIfMissing });
      return store;
    },
  };
}

export const USER_OPTIONS = {
  as: { type: 'string' },
  'passphrase-file': { type: 'string' },
} as const;
