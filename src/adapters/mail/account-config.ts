/**
 * A mail user's server account (`users/<address>/account.json`): where they read (IMAP) and send
 * (SMTP). The file holds no password: the IMAP and SMTP passwords are named secrets of the user's
 * encrypted vault (`imap-password`, `smtp-password`), beside the directory bind password, so a copy
 * of the home directory does not give the mail account away (issue 17).
 *
 * Accounts written before that kept `password` in the file; they are still read, and the next
 * `cachet account add` for the user moves the password into the vault.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CachetError } from '../../errors.js';
import { writeFileAtomically } from '../storage/atomic-file.js';
import type { ImapSettings } from './imap.js';
import type { DeliveryReport, Envelope, SmtpSettings, Transport } from './transport.js';
import type { MessageContent } from './message-content.js';
import type { NamedSecrets } from '../keys/credential-store.js';

export const IMAP_PASSWORD_SECRET = 'imap-password';
export const SMTP_PASSWORD_SECRET = 'smtp-password';

export interface AccountConfig {
  imap?: ImapSettings;
  smtp?: SmtpSettings;
}

/** account.json as stored: the settings without their passwords. */
interface StoredAccount {
  imap?: Omit<ImapSettings, 'password'> & { password?: string };
  smtp?: Omit<SmtpSettings, 'password'> & { password?: string };
}

export function accountFile(userDir: string): string {
  return join(userDir, 'account.json');
}

async function readStored(userDir: string): Promise<StoredAccount | undefined> {
  let text: string;
  try {
    text = await readFile(accountFile(userDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CachetError('ERR_INPUT_READ', `cannot read ${accountFile(userDir)}`, { cause: error });
  }
  try {
    return JSON.parse(text) as StoredAccount;
  } catch (error) {
    throw new CachetError('ERR_POLICY_INVALID', `${accountFile(userDir)} is not valid JSON; run "cachet account add" again`, { cause: error });
  }
}

/**
 * Writes the account: settings to account.json, passwords to the vault (opened only when there is a
 * password to keep). A password left in the file by an older Cachet is removed from it.
 */
export async function saveAccount(userDir: string, config: AccountConfig, vault: () => Promise<NamedSecrets>): Promise<void> {
  const { password: imapPassword, ...imap } = config.imap ?? ({} as Partial<ImapSettings>);
  const { password: smtpPassword, ...smtp } = config.smtp ?? ({} as Partial<SmtpSettings>);
  const secrets: Record<string, string | undefined> = {};
  if (config.imap) secrets[IMAP_PASSWORD_SECRET] = imapPassword || undefined;
  if (config.smtp) secrets[SMTP_PASSWORD_SECRET] = smtpPassword || undefined;
  if (Object.values(secrets).some((v) => v !== undefined)) await (await vault()).setSecrets(secrets);
  const stored: StoredAccount = { ...(config.imap ? { imap: imap as StoredAccount['imap'] } : {}), ...(config.smtp ? { smtp: smtp as StoredAccount['smtp'] } : {}) };
  await writeFileAtomically(accountFile(userDir), `${JSON.stringify(stored, null, 2)}\n`, 'the account settings');
}

/**
 * The account with its passwords: IMAP's is read from the vault at once (reading needs it), SMTP's
 * only when a message is sent (see {@link smtpTransportWithVaultPassword}). Undefined: no account,
 * local delivery only.
 */
export async function loadAccount(userDir: string, vault: () => Promise<NamedSecrets>): Promise<{ imap?: ImapSettings; smtp?: Omit<SmtpSettings, 'password'> & { password?: string } } | undefined> {
  const stored = await readStored(userDir);
  if (!stored) return undefined;
  const result: { imap?: ImapSettings; smtp?: Omit<SmtpSettings, 'password'> & { password?: string } } = {};
  if (stored.imap) {
    const password = stored.imap.password ?? (await (await vault()).secret(IMAP_PASSWORD_SECRET)) ?? '';
    result.imap = { ...stored.imap, password };
  }
  if (stored.smtp) result.smtp = stored.smtp;
  return result;
}

/**
 * An SMTP transport that takes its password from the vault when it first sends (a user with an
 * SMTP login and no password in the file): composing or reading never asks for the vault passphrase.
 */
export function smtpTransportWithVaultPassword(settings: Omit<SmtpSettings, 'password'> & { password?: string }, vault: () => Promise<NamedSecrets>, make: (settings: SmtpSettings) => Transport): Transport {
  let transport: Transport | undefined;
  return {
    async deliver(envelope: Envelope, message: MessageContent): Promise<DeliveryReport> {
      if (!transport) {
        const password = settings.user === undefined ? undefined : (settings.password ?? (await (await vault()).secret(SMTP_PASSWORD_SECRET)));
        transport = make({ ...settings, ...(password === undefined ? {} : { password }) });
      }
      return transport.deliver(envelope, message);
    },
  };
}
