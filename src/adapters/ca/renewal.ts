/**
 * Renewal. A user's client asks before its certificate expires: it makes a NEW key pair (the old
 * encryption key stays in the user's vault, so old mail still opens), signs a PKCS#10 request with
 * it, and leaves the request in the CA's queue, `ca/requests/<id>.json`, naming the serial it renews.
 * The administrator approves (or rejects) it: the CA checks the request against the renewed
 * certificate — same mailbox, still valid, not revoked, not already renewed — issues the new
 * certificate from the same template, and writes it into the request for the client to collect.
 *
 * The CA can also renew by itself, in bulk (`cachet ca renew --expiring DAYS`), for the keys it made:
 * see bulk-issue.ts, which issues the successors and mails them as a bulk run does.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CachetError } from '../../errors.js';
import { writeFileAtomically } from '../storage/atomic-file.js';
import type { CaKeyPair, CaStore, IssuedEntry } from './ca-store.js';
import { normaliseSerial } from './ca-store.js';
import { acceptRequest, MAX_CSR_BYTES } from './csr.js';
import { issueCertificate } from './issue.js';
import { recordOf } from './records.js';
import { getTemplate } from './templates.js';

export type RenewalStatus = 'pending' | 'issued' | 'rejected';

export interface RenewalRequest {
  id: string;
  email: string;
  /** The serial of the certificate being renewed. */
  renews: string;
  /** Base64 DER of the PKCS#10 request, signed with the new key. */
  csr: string;
  requestedAt: string;
  status: RenewalStatus;
  /** Issued: base64 DER of the new certificate, and the CA chain (issuer first). */
  certificate?: string;
  chain?: string[];
  serial?: string;
  /** Rejected: why. */
  reason?: string;
  decidedAt?: string;
  decidedBy?: string;
}

const ID = /^[0-9a-f]{24}$/;
/** A queue of more requests than this is not being administered: refuse new ones. */
export const MAX_PENDING_REQUESTS = 10_000;

export function requestsDirectory(caDirectory: string): string {
  return join(caDirectory, 'requests');
}

function requestPath(caDirectory: string, id: string): string {
  if (!ID.test(id)) throw new CachetError('ERR_USAGE', `"${id}" is not a renewal request id`);
  return join(requestsDirectory(caDirectory), `${id}.json`);
}

/** Leaves a renewal request in the CA's queue; returns it. */
export async function submitRenewal(caDirectory: string, request: { email: string; renews: string; csr: Uint8Array }): Promise<RenewalRequest> {
  if (request.csr.length > MAX_CSR_BYTES) throw new CachetError('ERR_LIMIT_EXCEEDED', `the request is larger than ${MAX_CSR_BYTES} bytes`);
  await mkdir(requestsDirectory(caDirectory), { recursive: true, mode: 0o700 });
  if ((await listRenewals(caDirectory)).filter((r) => r.status === 'pending').length >= MAX_PENDING_REQUESTS) {
    throw new CachetError('ERR_LIMIT_EXCEEDED', 'the CA has too many renewal requests waiting; ask the administrator');
  }
  const full: RenewalRequest = { id: randomBytes(12).toString('hex'), email: request.email, renews: normaliseSerial(request.renews), csr: Buffer.from(request.csr).toString('base64'), requestedAt: new Date().toISOString(), status: 'pending' };
  await writeFileAtomically(requestPath(caDirectory, full.id), `${JSON.stringify(full, null, 2)}\n`, 'the renewal request');
  return full;
}

export async function readRenewal(caDirectory: string, id: string): Promise<RenewalRequest | undefined> {
  try {
    return JSON.parse(await readFile(requestPath(caDirectory, id), 'utf8')) as RenewalRequest;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CachetError('ERR_INPUT_READ', `cannot read the renewal request ${id}`, { cause: error });
  }
}

export async function listRenewals(caDirectory: string): Promise<RenewalRequest[]> {
  let names: string[];
  try {
    names = await readdir(requestsDirectory(caDirectory));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const requests: RenewalRequest[] = [];
  for (const name of names.filter((n) => /^[0-9a-f]{24}\.json$/.test(n)).sort()) {
    const request = await readRenewal(caDirectory, name.slice(0, -5));
    if (request) requests.push(request);
  }
  return requests.sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
}

async function decide(store: CaStore, id: string, change: (request: RenewalRequest) => Promise<RenewalRequest>): Promise<RenewalRequest> {
  const request = await readRenewal(store.directory, id);
  if (!request) throw new CachetError('ERR_CERT_NOT_FOUND', `there is no renewal request ${id}`, { details: { id } });
  if (request.status !== 'pending') throw new CachetError('ERR_USAGE', `the renewal request ${id} was already ${request.status} on ${request.decidedAt ?? '?'}`);
  const decided = await change(request);
  await writeFileAtomically(requestPath(store.directory, id), `${JSON.stringify(decided, null, 2)}\n`, 'the renewal request');
  return decided;
}

/** What a renewal may renew: a certificate this CA issued to that mailbox, still valid, not yet renewed. */
async function renewable(store: CaStore, serial: string, email: string): Promise<IssuedEntry> {
  const entry = await store.findBySerial(serial);
  if (!entry) throw new CachetError('ERR_CERT_NOT_FOUND', `this CA issued no certificate ${serial}: a renewal renews one of its own`, { details: { serial } });
  if (entry.email.toLowerCase() !== email.toLowerCase()) throw new CachetError('ERR_CSR_INVALID', `the certificate ${serial} is ${entry.email}'s, not ${email}'s`);
  const state = recordOf(entry, new Date()).state;
  // An expired or revoked certificate proves nothing about its holder any more: enrol anew.
  if (state !== 'valid') throw new CachetError(state === 'revoked' ? 'ERR_CERT_REVOKED' : 'ERR_CERT_EXPIRED', `the certificate ${serial} is ${state}: it cannot be renewed; issue a new one`);
  if (entry.renewedBy) throw new CachetError('ERR_CERT_EXISTS', `the certificate ${serial} was already renewed by ${entry.renewedBy}`);
  return entry;
}

/** Records on the renewed entry which certificate succeeds it. */
export async function markRenewed(store: CaStore, oldSerial: string, newSerial: string): Promise<void> {
  await store.updateEntries((entries) => entries.filter((e) => e.serial === oldSerial).map((e) => Object.assign(e, { renewedBy: newSerial })));
}

/**
 * Approves a pending request: the successor of the renewed certificate, from its template, for the
 * key of the request; delivered (the requester holds the key).
 * @throws CachetError ERR_CERT_NOT_FOUND, ERR_CSR_INVALID, ERR_CERT_EXPIRED / ERR_CERT_REVOKED /
 *   ERR_CERT_EXISTS (the renewed certificate cannot be renewed), ERR_KEY_TOO_SMALL.
 */
export async function approveRenewal(store: CaStore, issuer: CaKeyPair, id: string, who: string): Promise<RenewalRequest> {
  return decide(store, id, async (request) => {
    const old = await renewable(store, request.renews, request.email);
    const template = getTemplate(old.template);
    const accepted = await acceptRequest(Buffer.from(request.csr, 'base64'), template, old.email);
    const { certificate, entry } = await issueCertificate(store, issuer, { template, spki: accepted.spki, email: old.email, actor: who, renews: old.serial, deliveredVia: 'renewal request (the requester holds the key)' });
    await markRenewed(store, old.serial, entry.serial);
    return { ...request, status: 'issued', certificate: Buffer.from(certificate).toString('base64'), chain: (await store.chain()).map((c) => Buffer.from(c).toString('base64')), serial: entry.serial, decidedAt: new Date().toISOString(), decidedBy: who };
  });
}

export async function rejectRenewal(store: CaStore, id: string, reason: string, who: string): Promise<RenewalRequest> {
  return decide(store, id, async (request) => {
    await store.audit.append({ who, action: 'renew', serial: request.renews, email: request.email, details: { request: id, rejected: reason } });
    return { ...request, status: 'rejected', reason, decidedAt: new Date().toISOString(), decidedBy: who };
  });
}
