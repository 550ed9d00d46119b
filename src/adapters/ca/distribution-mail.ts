/**
 * The distribution mail: the user's PKCS#12 files (signing and encryption) attached as
 * application/x-pkcs12, with instructions in the body, sent by SMTP or dropped into a local Maildir.
 * The password never travels in this mail — the body says it comes separately (another channel:
 * phone, a second mail, in person), so a mail intercepted in transit does not give the keys away.
 */
import { basename, dirname, join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { CachetError } from '../../errors.js';
import { Maildir } from '../mail/maildir.js';
import { requireEveryRecipient, SmtpTransport, type SmtpSettings } from '../mail/transport.js';

export interface DistributionFile {
  /** What the file holds, for the instructions. */
  role: 'signing' | 'encryption' | 'dual';
  filename: string;
  content: Uint8Array;
}

export interface DistributionMailOptions {
  from: string;
  to: string;
  /** The person's name, for the greeting. */
  name?: string;
  files: DistributionFile[];
  date?: Date;
}

const ROLE_TEXT: Record<DistributionFile['role'], string> = {
  signing: 'your SIGNING certificate and key: it signs the mail you send',
  encryption: 'your ENCRYPTION certificate and key: it opens the encrypted mail you receive — keep a backup, without it old mail cannot be read',
  dual: 'your certificate and key for signing and encryption',
};

export function distributionText(options: Pick<DistributionMailOptions, 'name' | 'files' | 'to'>): string {
  const lines = [
    `Hello ${options.name ?? options.to},`,
    '',
    'Your S/MIME certificates for secure mail are attached to this message:',
    '',
    ...options.files.map((f) => `  * ${f.filename} — ${ROLE_TEXT[f.role]}`),
    '',
    'To install them:',
    '  1. Open this message in your mail client (in Cachet: "cachet import-from-mail", or open the',
    '     message in the web mail and choose "Import certificates").',
    '  2. Each file is a password-protected PKCS#12 (.pfx) file. Enter the password when asked.',
    '  3. Your mail client recognises which file is for signing and which for encryption.',
    '',
    'THE PASSWORD IS NOT IN THIS MESSAGE. You receive it separately, through another channel.',
    'Never forward this message, and delete it once the certificates are installed.',
    '',
    'If you did not expect this message, tell your administrator and do not open the attachments.',
  ];
  return `${lines.join('\n')}\n`;
}

/** Builds the message (RFC 5322 bytes, CRLF line ends) with nodemailer's MailComposer. */
export async function buildDistributionMail(options: DistributionMailOptions): Promise<Buffer> {
  if (options.files.length === 0) throw new CachetError('ERR_USAGE', 'there is no file to distribute');
  const composer = new MailComposer({
    from: options.from,
    to: options.to,
    subject: 'Your certificates for secure mail (S/MIME)',
    date: options.date ?? new Date(),
    text: distributionText(options),
    attachments: options.files.map((f) => ({
      filename: basename(f.filename),
      content: Buffer.from(f.content),
      contentType: 'application/x-pkcs12',
      contentDisposition: 'attachment' as const,
    })),
  });
  return new Promise<Buffer>((resolve, reject) => {
    composer.compile().build((error, message) => (error ? reject(error) : resolve(message)));
  });
}

/**
 * Drops a message into the Maildir at `path` (its tmp/, new/, cur/) through the mail module's
 * Maildir, which writes under tmp/ and renames into new/.
 */
export async function deliverToMaildir(path: string, message: Uint8Array): Promise<string> {
  const folder = basename(path);
  const id = await new Maildir(dirname(path)).deliver(folder, message);
  return join(path, 'new', id);
}

/**
 * The mail module's SMTP settings for an smtp:// (STARTTLS when offered) or smtps:// URL; user and
 * password may be in the URL or given separately.
 */
export function smtpSettings(url: string, options: { user?: string; password?: string; ca?: string; requireTls?: boolean } = {}): SmtpSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new CachetError('ERR_USAGE', `--smtp-url "${url}" is not a URL (smtp://host:port or smtps://host:port)`, { cause: error });
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') throw new CachetError('ERR_USAGE', `--smtp-url must start with smtp:// or smtps:// (not ${parsed.protocol})`);
  const secure = parsed.protocol === 'smtps:';
  const user = options.user ?? (parsed.username ? decodeURIComponent(parsed.username) : undefined);
  const password = options.password ?? (parsed.password ? decodeURIComponent(parsed.password) : undefined);
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    ...(options.requireTls ? { requireTls: true } : {}),
    ...(user ? { user, password: password ?? '' } : {}),
    ...(options.ca ? { ca: options.ca } : {}),
  };
}

/** Sends the built message through the mail module's SMTP transport. */
export async function sendBySmtp(settings: SmtpSettings, envelope: { from: string; to: string }, message: Uint8Array): Promise<string[]> {
  return requireEveryRecipient(await new SmtpTransport(settings).deliver({ from: envelope.from, to: [envelope.to] }, message));
}
