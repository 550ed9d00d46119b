/**
 * Derived credentials, enrolled: the user's key pair is GENERATED ON THEIR PKCS#11 token (private,
 * CKA_SENSITIVE, not CKA_EXTRACTABLE: it never leaves the card), the PKCS#10 request is signed by the
 * token with that key, the CA checks it like any request (the signature proves the token holds the
 * key), issues the certificate, and writes it back onto the token beside its key under the same
 * CKA_ID — so the card is ready for Cachet's derivedCredentials source, or any PKCS#11 mail client.
 */
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequestGenerator, SubjectAlternativeNameExtension } from '@peculiar/x509';
import type { Pkcs11Token } from '../keys/pkcs11/token.js';
import type { CaKeyPair, CaStore, IssuedEntry, KeyType } from './ca-store.js';
import { bufferOf } from './ca-store.js';
import { x509Signing } from './ca-signer.js';
import { acceptRequest } from './csr.js';
import { checkMailbox, issueCertificate } from './issue.js';
import type { CertificateTemplate } from './templates.js';

export interface TokenEnrolment {
  template: CertificateTemplate;
  email: string;
  keyType: KeyType;
  /** CKA_LABEL of the key and the certificate; default "<mailbox> (<role>)". */
  label?: string;
  actor: string;
}

export interface EnrolledCredential {
  certificate: Uint8Array;
  entry: IssuedEntry;
  /** The CKA_ID (hex) of the key pair and the certificate on the token. */
  id: string;
  label: string;
}

export function tokenKeySpec(type: KeyType): { kind: 'rsa'; bits: number } | { kind: 'ec'; curve: 'P-256' | 'P-384' } {
  if (type.startsWith('rsa-')) return { kind: 'rsa', bits: Number(type.slice(4)) };
  return { kind: 'ec', curve: type === 'ec-p384' ? 'P-384' : 'P-256' };
}

/** A PKCS#10 request for `spki`, signed on the token by the key it names. */
export async function requestSignedByToken(token: Pkcs11Token, id: string, spki: Uint8Array, label: string, email: string): Promise<Uint8Array> {
  const handle = token.privateKeyById(id, spki, label);
  const signing = x509Signing(handle);
  const importAlgorithm = handle.kind === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: handle.curve ?? 'P-256' };
  const publicKey = await webcrypto.subtle.importKey('spki', bufferOf(spki), importAlgorithm, true, ['verify']);
  const request = await Pkcs10CertificateRequestGenerator.create({
    name: [{ '2.5.4.3': [email] }],
    keys: { publicKey: publicKey as unknown as CryptoKey, privateKey: signing.signingKey },
    signingAlgorithm: signing.signingAlgorithm,
    extensions: [new SubjectAlternativeNameExtension([{ type: 'email', value: email }])],
  }, signing.crypto);
  return new Uint8Array(request.rawData);
}

/**
 * Generates the key on the token, certifies it, writes the certificate back; on any failure the
 * objects made on the token are destroyed again, so a card is never left with an orphan key.
 * @throws CachetError ERR_TOKEN_* (token), ERR_KEY_TOO_SMALL / ERR_UNSUPPORTED_ALGORITHM (template),
 *   ERR_CSR_INVALID (the token's signature did not verify), ERR_POLICY_FORBIDS (validity).
 */
export async function enrolOnToken(store: CaStore, issuer: CaKeyPair, token: Pkcs11Token, request: TokenEnrolment): Promise<EnrolledCredential> {
  const email = checkMailbox(request.email);
  const label = request.label ?? `${email} (${request.template.role})`;
  let id = randomBytes(8).toString('hex');
  while (token.hasObject(id)) id = randomBytes(8).toString('hex');
  const spki = await token.generateKeyPair(tokenKeySpec(request.keyType), id, label, { decrypt: request.template.role !== 'signing' });
  try {
    const csr = await requestSignedByToken(token, id, spki, label, email);
    const accepted = await acceptRequest(csr, request.template, email);
    const { certificate, entry } = await issueCertificate(store, issuer, { template: request.template, spki: accepted.spki, email, actor: request.actor, deliveredVia: `written to the PKCS#11 token (CKA_ID ${id})` });
    token.writeCertificate(certificate, id, label);
    return { certificate, entry, id, label };
  } catch (error) {
    token.destroyObjects(id);
    throw error;
  }
}
