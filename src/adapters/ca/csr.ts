/**
 * PKCS#10 enrolment (RFC 2986): a request is accepted only when its self-signature verifies (proof
 * that the requester holds the private key), its key meets the template, and it names one mailbox.
 * The subject the requester asked for is not copied: the template decides the subject (the
 * mailbox-validated profile allows only the mailbox there), so a request cannot smuggle in an
 * organisation name or a second address the CA never validated.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequest, SubjectAlternativeNameExtension } from '@peculiar/x509';
import { CachetError } from '../../errors.js';
import { bufferOf, pemDecodeAll } from './ca-store.js';
import { checkMailbox } from './issue.js';
import { publicKeyFacts } from './key-pair.js';
import { enforceKeyPolicy, type CertificateTemplate } from './templates.js';

const crypto = webcrypto as unknown as Crypto;
const ID_EMAIL_ADDRESS = '1.2.840.113549.1.9.1';
/** A request larger than this is not a PKCS#10 request anyone meant to send. */
export const MAX_CSR_BYTES = 64 * 1024;

export interface AcceptedRequest {
  /** SubjectPublicKeyInfo DER of the requested key. */
  spki: Uint8Array;
  email: string;
  /** The subject the requester asked for, for the log. */
  requestedSubject: string;
}

function parseRequest(bytes: Uint8Array): Pkcs10CertificateRequest {
  if (bytes.length > MAX_CSR_BYTES) throw new CachetError('ERR_LIMIT_EXCEEDED', `the request is larger than ${MAX_CSR_BYTES} bytes`);
  const text = Buffer.from(bytes).toString('latin1');
  const label = text.includes('-----BEGIN NEW CERTIFICATE REQUEST-----') ? 'NEW CERTIFICATE REQUEST' : 'CERTIFICATE REQUEST';
  const [der] = pemDecodeAll(bytes, label);
  if (!der) throw new CachetError('ERR_CSR_INVALID', 'the file holds no CERTIFICATE REQUEST block');
  try {
    return new Pkcs10CertificateRequest(bufferOf(der));
  } catch (error) {
    throw new CachetError('ERR_CSR_INVALID', 'the file is not a PKCS#10 certificate request', { cause: error });
  }
}

/** The mailboxes a request names: rfc822Name SANs first, then emailAddress in the subject. */
function requestedMailboxes(request: Pkcs10CertificateRequest): string[] {
  const found: string[] = [];
  const raw = request.getExtension('2.5.29.17');
  const san = raw ? new SubjectAlternativeNameExtension(raw.rawData) : undefined;
  for (const name of san?.names.items ?? []) if (name.type === 'email') found.push(name.value);
  if (found.length === 0) {
    for (const value of request.subjectName.getField(ID_EMAIL_ADDRESS)) found.push(value);
  }
  return found;
}

/**
 * Checks a PKCS#10 request against a template.
 * @param email the mailbox given on the command line, if any; must agree with the request's own.
 * @throws CachetError ERR_CSR_INVALID (malformed, bad signature, no or conflicting mailbox),
 *   ERR_KEY_TOO_SMALL (e.g. RSA under 2048 bits), ERR_UNSUPPORTED_ALGORITHM.
 */
export async function acceptRequest(bytes: Uint8Array, template: CertificateTemplate, email?: string): Promise<AcceptedRequest> {
  const request = parseRequest(bytes);
  const spki = new Uint8Array(request.publicKey.rawData);
  // The key policy first: a 1024-bit key is refused for its size, whatever else is wrong.
  enforceKeyPolicy(template, publicKeyFacts(spki));
  let signatureOk = false;
  try {
    signatureOk = await request.verify(crypto);
  } catch (error) {
    throw new CachetError('ERR_CSR_INVALID', `the request's signature could not be checked: ${(error as Error).message}`, { cause: error });
  }
  if (!signatureOk) throw new CachetError('ERR_CSR_INVALID', "the request's signature does not verify: it was altered or not signed by the key it carries");
  const mailboxes = [...new Set(requestedMailboxes(request).map((m) => checkMailbox(m).toLowerCase()))];
  if (mailboxes.length > 1) {
    throw new CachetError('ERR_CSR_INVALID', `the request names several mailboxes (${mailboxes.join(', ')}); one certificate certifies one mailbox`);
  }
  let chosen: string;
  if (email !== undefined) {
    chosen = checkMailbox(email);
    if (mailboxes.length === 1 && mailboxes[0] !== chosen.toLowerCase()) {
      throw new CachetError('ERR_CSR_INVALID', `the request is for ${mailboxes[0]}, not ${chosen}`, { details: { requested: mailboxes[0], given: chosen } });
    }
  } else if (mailboxes.length === 1) {
    chosen = checkMailbox(mailboxes[0]!);
  } else {
    throw new CachetError('ERR_CSR_INVALID', 'the request names no mailbox (no rfc822Name and no emailAddress); give one with --email');
  }
  return { spki, email: chosen, requestedSubject: request.subject };
}
