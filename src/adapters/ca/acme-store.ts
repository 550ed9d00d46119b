/**
 * Where the ACME server keeps its accounts and orders, so that a restart of `cachet ca acme` loses
 * neither (nor a challenge waiting for its reply). One interface, `AcmeStore`; the file
 * implementation lives under the CA directory (`ca/acme/`), a database one can take its place.
 *
 * An order belongs to the account that placed it and is only ever looked up through it (the account
 * of the request's JWS), so no request can reach another account's order. An order carries its one
 * authorization and challenge (RFC 8823: one mailbox per order) and, once issued, its certificate.
 *
 * Nonces are not kept here: they are good for one request and a client asks for a fresh one when a
 * restarted server does not know its last one (badNonce, RFC 8555 §6.5).
 */
import type { JsonWebKey } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../storage/atomic-file.js';
import type { AcmeProblemType } from './acme-problem.js';

export type AcmeStatus = 'pending' | 'processing' | 'ready' | 'valid' | 'invalid';

export interface AcmeProblemRecord { type: AcmeProblemType; detail: string }

export interface AcmeAccountRecord {
  id: string;
  /** The account's public key (RFC 7517), as the client sent it. */
  jwk: JsonWebKey;
  /** Its RFC 7638 thumbprint: one account per key. */
  thumbprint: string;
  contact: string[];
  createdAt: string;
}

export interface AcmeOrderRecord {
  id: string;
  accountId: string;
  status: AcmeStatus;
  /** ISO time after which the order can no longer be answered or finalized. */
  expires: string;
  email: string;
  /** The template's name. */
  template: string;
  authorization: {
    status: AcmeStatus;
    challenge: { status: AcmeStatus; tokenPart1: string; tokenPart2: string; validated?: string; error?: AcmeProblemRecord };
  };
  /** The PEM chain, once issued. */
  certificateChain?: string;
  error?: AcmeProblemRecord;
}

export interface AcmeStore {
  account(id: string): Promise<AcmeAccountRecord | undefined>;
  /** The account of this key thumbprint, if there is one. */
  accountOfKey(thumbprint: string): Promise<AcmeAccountRecord | undefined>;
  countAccounts(): Promise<number>;
  addAccount(account: AcmeAccountRecord): Promise<void>;
  /** An order of this account (undefined for another account's order). */
  order(accountId: string, orderId: string): Promise<AcmeOrderRecord | undefined>;
  orders(accountId: string): Promise<AcmeOrderRecord[]>;
  /** Inserts or replaces the order, whole. */
  saveOrder(order: AcmeOrderRecord): Promise<void>;
  removeOrder(accountId: string, orderId: string): Promise<void>;
}

/** Ids and thumbprints are base64url; anything else (a "../" from a URL) names no file. */
const SAFE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * The file implementation: `DIR/accounts/ID/account.json`, `DIR/accounts/ID/orders/ORDER.json`, and
 * `DIR/keys/THUMBPRINT` holding the account id. Each file is written atomically (a crash leaves the
 * old or the new record), owner-only.
 */
export class FileAcmeStore implements AcmeStore {
  constructor(readonly directory: string) {}

  private accountDir(id: string): string | undefined {
    return SAFE_NAME.test(id) ? join(this.directory, 'accounts', id) : undefined;
  }

  async account(id: string): Promise<AcmeAccountRecord | undefined> {
    const dir = this.accountDir(id);
    return dir ? readJson<AcmeAccountRecord>(join(dir, 'account.json')) : undefined;
  }

  async accountOfKey(thumbprint: string): Promise<AcmeAccountRecord | undefined> {
    if (!SAFE_NAME.test(thumbprint)) return undefined;
    const id = await readJson<string>(join(this.directory, 'keys', thumbprint));
    return id === undefined ? undefined : this.account(id);
  }

  async countAccounts(): Promise<number> {
    return (await names(join(this.directory, 'accounts'))).length;
  }

  async addAccount(account: AcmeAccountRecord): Promise<void> {
    const dir = this.accountDir(account.id);
    if (!dir || !SAFE_NAME.test(account.thumbprint)) throw new Error(`an ACME account id and thumbprint are base64url (${account.id})`);
    // The account first, then the key's pointer to it: a crash in between leaves an account no key finds, never a pointer to nothing.
    await writeFileAtomically(join(dir, 'account.json'), `${JSON.stringify(account)}\n`, 'an ACME account');
    await writeFileAtomically(join(this.directory, 'keys', account.thumbprint), JSON.stringify(account.id), 'an ACME account key');
  }

  private orderPath(accountId: string, orderId: string): string | undefined {
    const dir = this.accountDir(accountId);
    return dir && SAFE_NAME.test(orderId) ? join(dir, 'orders', `${orderId}.json`) : undefined;
  }

  async order(accountId: string, orderId: string): Promise<AcmeOrderRecord | undefined> {
    const path = this.orderPath(accountId, orderId);
    const order = path ? await readJson<AcmeOrderRecord>(path) : undefined;
    return order?.accountId === accountId ? order : undefined;
  }

  async orders(accountId: string): Promise<AcmeOrderRecord[]> {
    const dir = this.accountDir(accountId);
    if (!dir) return [];
    const files = (await names(join(dir, 'orders'))).filter((name) => name.endsWith('.json'));
    const orders = await Promise.all(files.map((name) => this.order(accountId, name.slice(0, -'.json'.length))));
    return orders.filter((order): order is AcmeOrderRecord => order !== undefined);
  }

  async saveOrder(order: AcmeOrderRecord): Promise<void> {
    const path = this.orderPath(order.accountId, order.id);
    if (!path) throw new Error(`an ACME order id is base64url (${order.id})`);
    await mkdir(join(this.directory, 'accounts', order.accountId, 'orders'), { recursive: true, mode: 0o700 });
    await writeFileAtomically(path, `${JSON.stringify(order)}\n`, 'an ACME order');
  }

  async removeOrder(accountId: string, orderId: string): Promise<void> {
    const path = this.orderPath(accountId, orderId);
    if (path) await rm(path, { force: true });
  }
}
