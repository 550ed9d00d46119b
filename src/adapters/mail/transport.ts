/**
 * Getting a finished message to its recipients: straight into local users' Maildirs (the embedded
 * default), or through an SMTP server with nodemailer. A transport either accepts a recipient or
 * throws; the outbox (outbox.ts) keeps the message until every recipient is accepted.
 */
import { Readable } from 'node:stream';
import { CachetError } from '../../errors.js';
import type { Maildir } from './maildir.js';
import { messageChunks, type MessageContent } from './message-content.js';

export interface Envelope {
  from: string;
  to: string[];
}

export interface Transport {
  /**
   * Delivers to every envelope recipient; returns the recipients accepted. Throws when none could be.
   * Content that is not bytes is read as it is sent, never gathered whole.
   */
  deliver(envelope: Envelope, message: MessageContent): Promise<string[]>;
}

/** Local delivery between the users of one Cachet home. */
export class LocalTransport implements Transport {
  constructor(private readonly mailboxOf: (address: string) => Promise<Maildir | undefined>) {}

  async deliver(envelope: Envelope, message: MessageContent): Promise<string[]> {
    const accepted: string[] = [];
    const unknown: string[] = [];
    for (const address of envelope.to) {
      const mailbox = await this.mailboxOf(address);
      if (!mailbox) {
        unknown.push(address);
        continue;
      }
      await mailbox.deliver('INBOX', message);
      accepted.push(address);
    }
    if (unknown.length > 0) {
      throw new CachetError('ERR_MAIL_SEND_FAILED', `no local mailbox for ${unknown.join(', ')} and no SMTP server is configured; the message stays in the Outbox`, {
        details: { accepted, rejected: unknown },
      });
    }
    return accepted;
  }
}

export interface SmtpSettings {
  host: string;
  port: number;
  /** Implicit TLS (465); otherwise STARTTLS when offered (required with requireTls). */
  secure?: boolean;
  requireTls?: boolean;
  user?: string;
  password?: string;
  /** PEM CA for the server's certificate (private CAs). */
  ca?: string;
  /** The name to check the certificate against, when it differs from host. */
  servername?: string;
  timeoutMs?: number;
}

export class SmtpTransport implements Transport {
  constructor(private readonly settings: SmtpSettings) {}

  async deliver(envelope: Envelope, message: MessageContent): Promise<string[]> {
    const s = this.settings;
    // Loaded on first use: local delivery (the default) does not pay for nodemailer at every start.
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.secure ?? false,
      requireTLS: s.requireTls ?? false,
      ...(s.user ? { auth: { user: s.user, pass: s.password ?? '' } } : {}),
      tls: { ...(s.ca ? { ca: s.ca } : {}), servername: s.servername ?? (s.host === '127.0.0.1' ? 'localhost' : s.host) },
      connectionTimeout: s.timeoutMs ?? 15_000,
      greetingTimeout: s.timeoutMs ?? 15_000,
      socketTimeout: s.timeoutMs ?? 30_000,
    });
    try {
      const info = (await transport.sendMail({ envelope: { from: envelope.from, to: envelope.to }, raw: rawMessage(message) })) as unknown as { accepted: Array<string | { address: string }> };
      return info.accepted.map((a) => (typeof a === 'string' ? a : a.address));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' || code === 'EDNS') {
        throw new CachetError('ERR_MAIL_UNREACHABLE', `the mail server ${s.host}:${s.port} cannot be reached; the message stays in the Outbox`, { cause: error });
      }
      if (code === 'EAUTH') throw new CachetError('ERR_MAIL_AUTH', `the mail server refused the login for ${s.user ?? '(none)'}`, { cause: error });
      throw new CachetError('ERR_MAIL_SEND_FAILED', `the mail server did not accept the message: ${(error as Error).message}; it stays in the Outbox`, { cause: error });
    } finally {
      transport.close();
    }
  }
}

/** nodemailer sends a raw message given as a stream as it reads it (dot-stuffed on the way). */
function rawMessage(message: MessageContent): Buffer | Readable {
  return message instanceof Uint8Array ? Buffer.from(message.buffer, message.byteOffset, message.byteLength) : Readable.from(messageChunks(message), { objectMode: false });
}
