/**
 * Where a user's mail is read and sent: their account (mail/account-config.ts: an IMAP server to read
 * from, an SMTP server to send through, passwords in the vault), else the embedded default — their
 * local Maildir, and delivery straight into the Maildirs of the home's users. The Outbox stays local
 * either way, so nothing waits on a server.
 */
import { loadAccount, smtpTransportWithVaultPassword, type AccountConfig } from '../adapters/mail/account-config.js';
import type { Mailbox } from '../adapters/mail/mailbox.js';
import { LocalTransport, SmtpTransport, type Transport } from '../adapters/mail/transport.js';
import { findUser, type LocalUser } from './users.js';
import type { NamedSecrets } from '../adapters/keys/credential-store.js';

export interface OpenAccount {
  /** Where the user reads: the IMAP account or the local Maildir. */
  mailbox: Mailbox;
  transport: Transport;
  /** Logs out of the IMAP server, if one was used. */
  close(): Promise<void>;
}

/**
 * The user's account: `given` (a server that signs users in with their mail password), else their
 * account.json, else local delivery. `secrets` opens the vault only when a password is needed.
 */
export async function openAccount(home: string, user: LocalUser, secrets: () => Promise<NamedSecrets>, given?: AccountConfig): Promise<OpenAccount> {
  const account = given ?? (await loadAccount(user.dir, secrets)) ?? {};
  // The IMAP client (imapflow, ~130 ms to load) only for those who read from a server.
  const imap = account.imap ? new (await import('../adapters/mail/imap.js')).ImapMailbox(account.imap) : undefined;
  const transport = account.smtp
    ? smtpTransportWithVaultPassword(account.smtp, secrets, (settings) => new SmtpTransport(settings))
    : new LocalTransport(async (address) => (await findUser(home, address))?.maildir);
  return { mailbox: imap ?? user.maildir, transport, close: async () => imap?.close() };
}
