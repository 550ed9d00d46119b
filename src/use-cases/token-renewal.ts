/**
 * Renewal for keys on the user's PKCS#11 token (the derivedCredentials source), the token's twin of
 * renewal.ts: before a certificate on the token expires, a new key pair of the same kind is made ON
 * the token (sensitive, never extractable), the token signs the PKCS#10 request, the request waits in
 * the CA's queue; once approved, the certificate is written onto the token beside its new key.
 *
 * The old key and certificate stay on the token: mail encrypted to the old key still opens there.
 * What is waiting (the request id and the new key's CKA_ID; no secret) is kept in a small file of
 * the user's home, so the next run knows the request and does not renew the same certificate twice.
 */
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { certificateRole } from '../engine/pki/certificate-role.js';
import { publicKeyFacts } from '../adapters/ca/key-pair.js';
import type { KeyType } from '../adapters/ca/ca-store.js';
import { readRenewal, submitRenewal } from '../adapters/ca/renewal.js';
import { requestSignedByToken, tokenKeySpec } from '../adapters/ca/token-enrolment.js';
import type { Pkcs11Token } from '../adapters/keys/pkcs11/token.js';
import { writeFileAtomically } from '../adapters/storage/atomic-file.js';
import { CachetError } from '../errors.js';
import type { RenewalOutcome } from './renewal.js';

const DAY = 86_400_000;

export interface TokenRenewOptions {
  caDirectory: string;
  daysBefore: number;
  /** The user's file of renewals in progress (request id and key id per renewed serial). */
  stateFile: string;
  now?: Date;
}

interface TokenRenewalState {
  /** By the serial of the certificate renewed. */
  [serial: string]: { requestId: string; keyId: string; label: string; status: 'pending' | 'installed' };
}

async function readState(file: string): Promise<TokenRenewalState> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as TokenRenewalState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CachetError('ERR_INPUT_READ', `cannot read the token renewals in ${file}`, { cause: error });
  }
}

/** The key type of a certificate's key, for a successor of the same kind. */
function keyTypeOf(certificate: X509Certificate): KeyType {
  const facts = publicKeyFacts(new Uint8Array(certificate.publicKey.export({ type: 'spki', format: 'der' })));
  if (facts.kind === 'rsa') return `rsa-${Math.max(facts.bits ?? 2048, 2048)}` as KeyType;
  if (facts.kind === 'ec' && facts.curve === 'P-256') return 'ec-p256';
  if (facts.kind === 'ec' && facts.curve === 'P-384') return 'ec-p384';
  throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'only RSA and EC P-256/P-384 certificates can be renewed');
}

/**
 * Takes each certificate on the token one step: asks for its successor when due, writes an approved
 * one onto the token, reports a waiting or rejected one (a rejected request's new key is destroyed).
 */
export async function renewTokenCertificates(token: Pkcs11Token, options: TokenRenewOptions): Promise<RenewalOutcome[]> {
  const now = options.now ?? new Date();
  const state = await readState(options.stateFile);
  const save = () => writeFileAtomically(options.stateFile, `${JSON.stringify(state, null, 2)}\n`, 'the token renewals');
  const outcomes: RenewalOutcome[] = [];
  for (const credential of token.credentials()) {
    const x509 = new X509Certificate(credential.certificate);
    const serial = x509.serialNumber.toLowerCase();
    const { role } = certificateRole(credential.certificate);
    const base = { credential: credential.id, role: role === 'dual' ? 'both' as const : role === 'encryption' ? 'encryption' as const : 'signing' as const, subject: x509.subject, notAfter: new Date(x509.validTo).toISOString() };
    const pending = state[serial];
    if (pending?.status === 'installed') continue; // renewed: its successor is on the token
    if (pending) {
      const request = await readRenewal(options.caDirectory, pending.requestId);
      if (request?.status === 'pending') {
        outcomes.push({ ...base, action: 'waiting', requestId: pending.requestId });
        continue;
      }
      if (request?.status === 'issued' && request.certificate) {
        const certificate = new Uint8Array(Buffer.from(request.certificate, 'base64'));
        token.writeCertificate(certificate, pending.keyId, pending.label);
        state[serial] = { ...pending, status: 'installed' };
        await save();
        outcomes.push({ ...base, action: 'installed', requestId: pending.requestId, serial: new X509Certificate(certificate).serialNumber.toLowerCase(), newNotAfter: new Date(new X509Certificate(certificate).validTo).toISOString() });
        continue;
      }
      // Rejected, or the request is gone: the waiting key on the token is of no use any more.
      token.destroyObjects(pending.keyId);
      delete state[serial];
      await save();
      if (request?.status === 'rejected') {
        outcomes.push({ ...base, action: 'rejected', requestId: pending.requestId, reason: request.reason ?? 'rejected' });
        continue;
      }
    }
    if ((Date.parse(x509.validTo) - now.getTime()) / DAY > options.daysBefore) {
      outcomes.push({ ...base, action: 'not-due' });
      continue;
    }
    const email = /email:([^,\s]+)/.exec(x509.subjectAltName ?? '')?.[1];
    if (!email) throw new CachetError('ERR_CERT_MALFORMED', `the certificate ${x509.subject} on the token names no mailbox to renew for`);
    let keyId = Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex');
    while (token.hasObject(keyId)) keyId = Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex');
    const label = credential.label || `${email} (renewed)`;
    const spki = await token.generateKeyPair(tokenKeySpec(keyTypeOf(x509)), keyId, label, { decrypt: role !== 'signing' });
    try {
      const csr = await requestSignedByToken(token, keyId, spki, label, email);
      const submitted = await submitRenewal(options.caDirectory, { email, renews: serial, csr });
      state[serial] = { requestId: submitted.id, keyId, label, status: 'pending' };
      await save();
      outcomes.push({ ...base, action: 'requested', requestId: submitted.id });
    } catch (error) {
      token.destroyObjects(keyId);
      throw error;
    }
  }
  return outcomes;
}
