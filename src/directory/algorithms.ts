/**
 * Algorithms per message from what every recipient announced in SMIMECapabilities (RFC 8551 §2.7):
 * AES-GCM in AuthEnvelopedData (RFC 5083/5084) only when every recipient listed it, else AES-256-CBC
 * in EnvelopedData; RSA-OAEP (RFC 3560) for each RSA recipient that listed it, else PKCS#1 v1.5.
 * A recipient whose capabilities are unknown gets the interoperable default (AES-256-CBC, PKCS#1 v1.5),
 * which every current S/MIME client reads.
 */
import { OID } from '../engine/oids.js';

export type ContentEncryption = 'aes-256-gcm' | 'aes-256-cbc';
export type KeyTransport = 'rsa-oaep' | 'rsa-pkcs1';

export interface RecipientCapabilities {
  address: string;
  /** As reported by verification (names such as "aes-256-gcm", or OIDs); undefined when never seen. */
  capabilities?: readonly string[] | undefined;
}

export interface AlgorithmChoice {
  contentEncryption: ContentEncryption;
  /** AuthEnvelopedData for GCM, EnvelopedData for CBC. */
  contentType: 'authEnvelopedData' | 'envelopedData';
  /** Key transport per RSA recipient (EC recipients use ECDH key agreement regardless). */
  keyTransport: Record<string, KeyTransport>;
  /** Why, per recipient, for the report. */
  notes: string[];
}

const GCM = new Set(['aes-256-gcm', 'aes-192-gcm', 'aes-128-gcm', OID.aes256_GCM, OID.aes192_GCM, OID.aes128_GCM]);
const OAEP = new Set(['rsaes-oaep', OID.id_RSAES_OAEP]);

export function chooseAlgorithms(recipients: readonly RecipientCapabilities[]): AlgorithmChoice {
  const notes: string[] = [];
  const keyTransport: Record<string, KeyTransport> = {};
  let allGcm = recipients.length > 0;
  for (const r of recipients) {
    const caps = r.capabilities;
    if (!caps || caps.length === 0) {
      allGcm = false;
      keyTransport[r.address] = 'rsa-pkcs1';
      notes.push(`${r.address}: capabilities unknown, interoperable default (AES-256-CBC, RSA PKCS#1 v1.5)`);
      continue;
    }
    const gcm = caps.some((c) => GCM.has(c));
    if (!gcm) allGcm = false;
    keyTransport[r.address] = caps.some((c) => OAEP.has(c)) ? 'rsa-oaep' : 'rsa-pkcs1';
    notes.push(`${r.address}: ${gcm ? 'reads AES-GCM' : 'did not announce AES-GCM'}, ${keyTransport[r.address] === 'rsa-oaep' ? 'RSA-OAEP' : 'RSA PKCS#1 v1.5'}`);
  }
  return allGcm
    ? { contentEncryption: 'aes-256-gcm', contentType: 'authEnvelopedData', keyTransport, notes }
    : { contentEncryption: 'aes-256-cbc', contentType: 'envelopedData', keyTransport, notes };
}
