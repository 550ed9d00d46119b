/**
 * RFC 8823's `email-reply-00` challenge, both halves:
 * - the challenge mail the CA sends to the mailbox being validated: `Subject: ACME: <token-part1>`,
 *   `Auto-Submitted: auto-generated; type=acme` (§3.1), while token-part2 travels in the ACME
 *   challenge object, so only someone who holds both the mailbox and the ACME account key can answer;
 * - the reply: from that mailbox, `Subject: Re: ACME: <token-part1>`, its text holding
 *   base64url(SHA-256(key authorization)) between "-----BEGIN ACME RESPONSE-----" and
 *   "-----END ACME RESPONSE-----" (§3.2), where key authorization = token-part1 || token-part2 ||
 *   "." || base64url(JWK thumbprint of the account key) (RFC 8555 §8.1).
 * RFC 8823 §3.2 asks the server to check the reply's authenticity with DKIM or S/MIME. Cachet takes
 * either: the reply opens as `valid` (every S/MIME signature verifies, the chain is trusted, the
 * signer IS the From address), or a DKIM signature of the From domain covers it (acme-dkim.ts: how a
 * mailbox without any certificate yet proves itself). A forged From or an unauthenticated reply is
 * refused whatever its body says.
 */
import { createHash, randomBytes } from 'node:crypto';
import PostalMime from 'postal-mime';
import { collectBytes, toByteStream } from '../../engine/stream-types.js';
import { openMessage } from '../../engine/smime/open.js';
import type { CertificateValidator } from '../../engine/pki/validator.js';
import { AcmeProblem } from './acme-problem.js';
import { base64url } from './acme-jws.js';
import { checkDkim, type DnsResolver } from './acme-dkim.js';

export const CHALLENGE_TYPE = 'email-reply-00';
export const RESPONSE_BEGIN = '-----BEGIN ACME RESPONSE-----';
export const RESPONSE_END = '-----END ACME RESPONSE-----';
/** A reply larger than this is not an ACME response (a signed one-line text is a few kilobytes). */
export const MAX_REPLY_BYTES = 256 * 1024;

/** Two random base64url halves of 128 bits each (RFC 8823 §3.1: at least 128 bits of entropy). */
export function newTokenParts(): { tokenPart1: string; tokenPart2: string } {
  return { tokenPart1: base64url(randomBytes(16)), tokenPart2: base64url(randomBytes(16)) };
}

export function keyAuthorization(tokenPart1: string, tokenPart2: string, accountThumbprint: string): string {
  return `${tokenPart1}${tokenPart2}.${accountThumbprint}`;
}

/** base64url(SHA-256(key authorization)): what the reply carries. */
export function responseDigest(keyAuth: string): string {
  return base64url(createHash('sha256').update(keyAuth, 'utf8').digest());
}

/** The reply's text: the digest between the markers, CRLF line ends (RFC 8823 §3.2). */
export function responseText(digest: string): string {
  return `${RESPONSE_BEGIN}\r\n${digest}\r\n${RESPONSE_END}\r\n`;
}

/**
 * The token-part1 of a challenge or reply subject ("ACME: X", "Re: ACME: X"), if it is one. RFC
 * 8823's own example keeps base64 padding ("…sME="), so a trailing "=" belongs to the token.
 */
export function tokenPart1OfSubject(subject: string | null | undefined): string | undefined {
  const match = /^\s*(?:re:\s*)?ACME:\s*([A-Za-z0-9_-]+={0,2})\s*$/i.exec(subject ?? '');
  return match?.[1];
}

/** A header field of a raw message (unfolded), read from its header block only; the first if repeated. */
export function headerFieldOf(raw: Uint8Array, name: string): string | undefined {
  const text = Buffer.from(raw.subarray(0, Math.min(raw.length, 64 * 1024))).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const header = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  return new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(header)?.[1]?.trim();
}

export interface ChallengeMailOptions {
  from: string;
  to: string;
  tokenPart1: string;
  date?: Date;
}

/** The challenge mail (RFC 5322, CRLF): the subject and Auto-Submitted field RFC 8823 §3.1 asks for. */
export function buildChallengeMail(options: ChallengeMailOptions): { message: Buffer; messageId: string } {
  const domain = options.from.slice(options.from.lastIndexOf('@') + 1);
  const messageId = `<acme.${base64url(randomBytes(12))}@${domain}>`;
  const lines = [
    `From: ${options.from}`,
    `To: ${options.to}`,
    `Subject: ACME: ${options.tokenPart1}`,
    `Date: ${(options.date ?? new Date()).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    'Auto-Submitted: auto-generated; type=acme',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
    '',
    `This message was sent by the certificate authority at ${options.from} because an S/MIME`,
    `certificate was requested for ${options.to} with ACME (RFC 8823).`,
    '',
    'Your ACME client ("cachet cert request --acme") answers it for you. If you did not ask for a',
    'certificate, ignore this message: nothing is issued without the answer.',
    '',
  ];
  return { message: Buffer.from(lines.join('\r\n'), 'latin1'), messageId };
}

export interface ExpectedReply {
  /** The mailbox being validated: the reply must be from it, signed by it. */
  email: string;
  tokenPart1: string;
  /** responseDigest() of the key authorization. */
  digest: string;
}

/** The digest between the markers of a text, or undefined when there is no (single) response block. */
export function digestInText(text: string): string | undefined {
  const match = /-----BEGIN ACME RESPONSE-----\r?\n\s*([A-Za-z0-9_-]+)\s*\r?\n-----END ACME RESPONSE-----/.exec(text);
  return match?.[1];
}

/**
 * Checks one reply against the challenge.
 * @returns nothing when the reply answers the challenge.
 * @param dkimResolver the DNS for DKIM public keys; absent, only S/MIME-signed replies count.
 * @returns how the reply was authenticated ("S/MIME" or "DKIM d=example.com").
 * @throws AcmeProblem unauthorized (not from the mailbox, neither S/MIME-signed by it nor DKIM-signed
 *   by its domain) or incorrectResponse (no response block, a wrong digest).
 */
export async function checkReply(raw: Uint8Array, expected: ExpectedReply, validator: CertificateValidator, dkimResolver?: DnsResolver): Promise<string> {
  if (raw.length > MAX_REPLY_BYTES) throw new AcmeProblem('incorrectResponse', `the reply is larger than ${MAX_REPLY_BYTES} bytes`);
  const opened = await openMessage(toByteStream(raw), { decryptors: [], validator });
  try {
    const { report } = opened;
    const from = report.headers.fromMailboxes.map((m) => m.address);
    if (from.length !== 1 || from[0] !== expected.email.toLowerCase()) {
      throw new AcmeProblem('unauthorized', `the reply is from ${from.join(', ') || 'nobody'}, not from ${expected.email}, the address being validated`);
    }
    let authenticatedBy = 'S/MIME';
    if (report.status !== 'valid') {
      const smime = `not S/MIME-signed by a trusted certificate of that address (its status: ${report.status})`;
      if (!dkimResolver) throw new AcmeProblem('unauthorized', `the reply from ${expected.email} is ${smime}; RFC 8823 §3.2 needs an authenticated reply`);
      const dkim = await checkDkim(raw, expected.email, dkimResolver);
      if (!dkim.domain) throw new AcmeProblem('unauthorized', `the reply from ${expected.email} is ${smime}, and not DKIM-authenticated: ${dkim.reason}; RFC 8823 §3.2 needs an authenticated reply`);
      authenticatedBy = `DKIM d=${dkim.domain}`;
    }
    const content = await collectBytes(opened.content);
    const text = (await PostalMime.parse(content)).text ?? '';
    const digest = digestInText(text);
    if (digest === undefined) throw new AcmeProblem('incorrectResponse', `the reply holds no ${RESPONSE_BEGIN} … ${RESPONSE_END} block`);
    if (digest !== expected.digest) throw new AcmeProblem('incorrectResponse', 'the reply\'s digest is not that of this challenge\'s key authorization (another challenge, or another account key)');
    return authenticatedBy;
  } finally {
    await opened.dispose();
  }
}
