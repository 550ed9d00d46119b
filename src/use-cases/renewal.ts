/**
 * The client's side of renewal: before a certificate of the user's expires (the policy's
 * `renewDaysBefore`), make a new key pair of the same kind, ask the CA for its successor with a
 * PKCS#10 request signed by the new key, keep the new key encrypted in the vault meanwhile, and once
 * the administrator has approved, install the new certificate as the active one for its role.
 *
 * Nothing is thrown away: the old encryption credential stays in the vault, inactive, so mail
 * encrypted to it still opens; the old signing credential stays too, and the next signed message
 * carries the new certificate, which is how correspondents learn it.
 */
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import { Pkcs10CertificateRequestGenerator, SubjectAlternativeNameExtension } from '@peculiar/x509';
import { publicKeyFacts } from '../adapters/ca/key-pair.js';
import { readRenewal, submitRenewal } from '../adapters/ca/renewal.js';
import { CachetError } from '../errors.js';
import type { CredentialStore, NamedSecrets, StoredCredential } from '../adapters/keys/credential-store.js';

const crypto = webcrypto as unknown as Crypto;
const DAY = 86_400_000;

/** What renewal needs of the vault: the credentials, and named secrets to keep a waiting key in. */
export type RenewingStore = Pick<CredentialStore, 'list' | 'add'> & NamedSecrets;

export type RenewalAction = 'not-due' | 'requested' | 'waiting' | 'installed' | 'rejected';

export interface RenewalOutcome {
  credential: string;
  role: StoredCredential['role'];
  subject: string;
  notAfter: string;
  action: RenewalAction;
  requestId?: string;
  /** Installed: the new certificate's serial and expiry. */
  serial?: string;
  newNotAfter?: string;
  reason?: string;
}

interface PendingRenewal {
  requestId: string;
  /** PKCS#8 DER (base64) of the new key, inside the vault's encryption like every key. */
  key: string;
}

const pendingSecret = (credentialId: string): string => `renewal:${credentialId}`;

/** A key pair of the same kind as the certificate's (RSA of the same size, EC on the same curve). */
async function keyPairLike(certificate: Uint8Array): Promise<{ keys: CryptoKeyPair; algorithm: RsaHashedKeyGenParams | EcKeyGenParams }> {
  const facts = publicKeyFacts(new Uint8Array(new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'der' })));
  const algorithm: RsaHashedKeyGenParams | EcKeyGenParams = facts.kind === 'rsa'
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: Math.max(facts.bits ?? 2048, 2048), publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    : facts.kind === 'ec' && (facts.curve === 'P-256' || facts.curve === 'P-384')
      ? { name: 'ECDSA', namedCurve: facts.curve }
      : (() => { throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'only RSA and EC P-256/P-384 certificates can be renewed'); })();
  return { keys: (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair, algorithm };
}

async function makeRequest(credential: StoredCredential, email: string): Promise<{ csr: Uint8Array; pkcs8: Uint8Array }> {
  const { keys, algorithm } = await keyPairLike(credential.certificate);
  return signedRequest(keys, algorithm, email);
}

/** A PKCS#10 request for one mailbox (CN and rfc822Name), signed by the new key; and that key (PKCS#8). */
export async function signedRequest(keys: CryptoKeyPair, algorithm: RsaHashedKeyGenParams | EcKeyGenParams, email: string): Promise<{ csr: Uint8Array; pkcs8: Uint8Array }> {
  const request = await Pkcs10CertificateRequestGenerator.create({
    name: [{ '2.5.4.3': [email] }],
    keys,
    signingAlgorithm: algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: (algorithm as EcKeyGenParams).namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256' } : algorithm,
    extensions: [new SubjectAlternativeNameExtension([{ type: 'email', value: email }])],
  }, crypto);
  return { csr: new Uint8Array(request.rawData), pkcs8: new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

function serialOf(certificate: Uint8Array): string {
  return new X509Certificate(certificate).serialNumber.toLowerCase();
}

export interface RenewOptions {
  /** The CA's directory, whose requests/ queue the administrator approves from. */
  caDirectory: string;
  /** Renew what expires within this many days (the policy's renewDaysBefore). */
  daysBefore: number;
  now?: Date;
}

/**
 * Takes each active credential one step: asks for a renewal when it is due, installs an approved one,
 * reports a waiting or rejected one.
 */
export async function renewOwnCertificates(store: RenewingStore, options: RenewOptions): Promise<RenewalOutcome[]> {
  const now = options.now ?? new Date();
  const outcomes: RenewalOutcome[] = [];
  for (const credential of (await store.list()).filter((c) => c.active)) {
    const base = { credential: credential.id, role: credential.role, subject: credential.subject, notAfter: credential.notAfter };
    const kept = await store.secret(pendingSecret(credential.id));
    const pending = kept ? (JSON.parse(kept) as PendingRenewal) : undefined;
    const request = pending ? await readRenewal(options.caDirectory, pending.requestId) : undefined;
    if (pending && request?.status === 'pending') {
      outcomes.push({ ...base, action: 'waiting', requestId: pending.requestId });
      continue;
    }
    if (pending && request?.status === 'issued' && request.certificate) {
      const certificate = new Uint8Array(Buffer.from(request.certificate, 'base64'));
      const installed = await store.add({
        certificate,
        chain: (request.chain ?? []).map((c) => new Uint8Array(Buffer.from(c, 'base64'))),
        privateKeyPkcs8: new Uint8Array(Buffer.from(pending.key, 'base64')),
        role: credential.role,
        exportable: credential.exportable,
        ...(credential.friendlyName ? { friendlyName: credential.friendlyName } : {}),
      }, { replaceActive: true });
      await store.setSecrets({ [pendingSecret(credential.id)]: undefined });
      outcomes.push({ ...base, action: 'installed', requestId: pending.requestId, serial: serialOf(certificate), newNotAfter: installed.notAfter });
      continue;
    }
    if (pending) {
      // Rejected, or the request is gone: the waiting key is of no use any more.
      await store.setSecrets({ [pendingSecret(credential.id)]: undefined });
      if (request?.status === 'rejected') {
        outcomes.push({ ...base, action: 'rejected', requestId: pending.requestId, reason: request.reason ?? 'rejected' });
        continue;
      }
    }
    const daysLeft = (new Date(credential.notAfter).getTime() - now.getTime()) / DAY;
    if (daysLeft > options.daysBefore) {
      outcomes.push({ ...base, action: 'not-due' });
      continue;
    }
    const email = credential.email[0];
    if (!email) throw new CachetError('ERR_CERT_MALFORMED', `the certificate ${credential.subject} names no mailbox to renew for`);
    const { csr, pkcs8 } = await makeRequest(credential, email);
    const submitted = await submitRenewal(options.caDirectory, { email, renews: serialOf(credential.certificate), csr });
    await store.setSecrets({ [pendingSecret(credential.id)]: JSON.stringify({ requestId: submitted.id, key: Buffer.from(pkcs8).toString('base64') } satisfies PendingRenewal) });
    outcomes.push({ ...base, action: 'requested', requestId: submitted.id });
  }
  return outcomes;
}
