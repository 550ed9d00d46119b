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

/** A recipient the receiving side would not take (SMTP's answer to RCPT TO, or no such local mailbox). */
export interface RefusedRecipient {
  address: string;
  /** Why, in a sentence the user reads, with the server's own words where it gave some (e.g. "550 5.1.1 … User unknown"). */
  reason: string;
  /** A 5xx answer (or no such local user): sending the same again will not help until something changes there. */
  permanent: boolean;
}

/** What a transport did with one message: who took it, who refused it and why. */
export interface DeliveryReport {
  accepted: string[];
  refused: RefusedRecipient[];
}

export interface Transport {
  /**
   * Offers the message to every envelope recipient; returns who took it and who refused it, each
   * with the server's reason. Throws when the message itself could not be handed over (server
   * unreachable, login refused, the message refused after DATA), with `details.accepted` for any
   * recipient that has it already. Content that is not bytes is read as it is sent, never gathered whole.
   */
  deliver(envelope: Envelope, message: MessageContent): Promise<DeliveryReport>;
}

/**
 * For senders of one mail to one party (a CA's distribution mail, an ACME reply): a refused
 * recipient is a failure, said with the server's reason.
 * @throws CachetError ERR_MAIL_SEND_FAILED when anyone refused it
 */
export function requireEveryRecipient(report: DeliveryReport): string[] {
  if (report.refused.length > 0) {
    throw new CachetError('ERR_MAIL_SEND_FAILED', `the mail server refused ${report.refused.map((r) => `${r.address} (${r.reason})`).join(', ')}`, { details: { accepted: report.accepted } });
  }
  return report.accepted;
}

/** Local delivery between the users of one Cachet home. */
export class LocalTransport implements Transport {
  constructor(private readonly mailboxOf: (address: string) => Promise<Maildir | undefined>) {}

  async deliver(envelope: Envelope, message: MessageContent): Promise<DeliveryReport> {
    const report: DeliveryReport = { accepted: [], refused: [] };
    for (const address of envelope.to) {
      const mailbox = await this.mailboxOf(address);
      if (!mailbox) {
        report.refused.push({ address, reason: 'there is no local mailbox of that name, and no SMTP server is configured to send it further', permanent: true });
        continue;
      }
      await mailbox.deliver('INBOX', message);
      report.accepted.push(address);
    }
    return report;
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

  async deliver(envelope: Envelope, message: MessageContent): Promise<DeliveryReport> {
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
      const info = (await transport.sendMail({ envelope: { from: envelope.from, to: envelope.to }, raw: rawMessage(message) })) as unknown as NodemailerInfo;
      return { accepted: info.accepted.map(addressOf), refused: refusedOf(info.rejectedErrors ?? []) };
    } catch (error) {
      const failure = error as NodemailerError;
      // Every recipient refused at RCPT TO: an answer per recipient, not a failure of the message.
      if (failure.code === 'EENVELOPE' && failure.command === 'RCPT TO' && failure.rejectedErrors?.length) return { accepted: [], refused: refusedOf(failure.rejectedErrors) };
      const code = failure.code;
      if (code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' || code === 'EDNS') {
        throw new CachetError('ERR_MAIL_UNREACHABLE', `the mail server ${s.host}:${s.port} cannot be reached; the message stays in the Outbox`, { cause: error });
      }
      if (code === 'EAUTH') throw new CachetError('ERR_MAIL_AUTH', `the mail server refused the login for ${s.user ?? '(none)'}`, { cause: error });
      throw new CachetError('ERR_MAIL_SEND_FAILED', `the mail server did not accept the message: ${failure.message}; it stays in the Outbox`, { cause: error });
    } finally {
      transport.close();
    }
  }
}

/** What nodemailer's SMTP transport reports (its types leave `rejectedErrors` out). */
interface NodemailerInfo {
  accepted: Array<string | { address: string }>;
  rejectedErrors?: NodemailerError[];
}
interface NodemailerError extends Error {
  code?: string;
  command?: string;
  /** The recipient a RCPT TO answer was for. */
  recipient?: string | { address: string };
  /** The server's reply line. */
  response?: string;
  responseCode?: number;
  rejectedErrors?: NodemailerError[];
}

const addressOf = (a: string | { address: string }): string => (typeof a === 'string' ? a : a.address);

function refusedOf(errors: NodemailerError[]): RefusedRecipient[] {
  return errors
    .filter((e) => e.recipient !== undefined)
    .map((e) => ({ address: addressOf(e.recipient!), reason: `the mail server answered “${(e.response ?? e.message).trim()}”`, permanent: (e.responseCode ?? 0) >= 500 }));
}

/** nodemailer sends a raw message given as a stream as it reads it (dot-stuffed on the way). */
function rawMessage(message: MessageContent): Buffer | Readable {
  return message instanceof Uint8Array ? Buffer.from(message.buffer, message.byteOffset, message.byteLength) : Readable.from(messageChunks(message), { objectMode: false });
}
