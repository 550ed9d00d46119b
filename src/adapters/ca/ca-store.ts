/**
 * The CA's state on disk, under $CACHET_HOME/ca/ (default ~/.cachet/ca):
 *
 *   ca.json        settings: name, key type, public URLs, whether an issuing intermediate exists,
 *                  and where each CA key is kept (`keys`)
 *   root.pem       the root certificate;  issuing.pem  the issuing intermediate (optional)
 *   ca.vault       the CA keys, in the encrypted vault format of src/adapters/keys (the default), or
 *   root.key, issuing.key   the CA keys as encrypted PKCS#8 files (the first format; still read), or
 *                  nothing at all: the keys live on a PKCS#11 token (generated there, never extracted)
 *   index.json     every certificate issued: serial, subject, e-mail, template, status, revocation,
 *                  delivery to its owner, publication, renewal
 *   audit.log      append-only, hash-chained JSON lines: who issued, distributed, published, revoked,
 *                  renewed what, and when (audit-log.ts)
 *   crl.der        the current CRL, rewritten on every revocation and by `cachet ca crl`
 *   root-crl.der   the root's CRL (the ARL) when there is an intermediate
 *   acme/          the ACME server's accounts and orders (acme-store.ts)
 *
 * The CA vault is a vault file of the CA's own, under the CA passphrase: never the user's vault,
 * whose credentials are the user's mail keys. Key files are PKCS#8 EncryptedPrivateKeyInfo (PBES2:
 * PBKDF2-HMAC-SHA256 + AES-256-CBC, as OpenSSL writes them). Whatever the store, a CA key is used
 * only through the engine's PrivateKeyHandle (see ca-signer.ts).
 * Every write goes to a temporary file, synced, then renamed into place: a crash never leaves half a file.
 */
import { X509Certificate, createPrivateKey, createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { writeFileAtomically } from '../storage/atomic-file.js';
import { withFileLock } from '../storage/file-lock.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { octetString, sequence } from '../../engine/asn1/ber-writer.js';
import { CachetError } from '../../errors.js';
import type { PrivateKeyHandle } from '../../engine/keys.js';
import { pbes2Encrypt } from '../../engine/pkcs12/password-based.js';
import { softwareKey } from '../../engine/software-key.js';
import { CaUnlock } from './ca-unlock.js';
import { CaAuditLog } from './audit-log.js';

export type KeyType = 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ec-p256' | 'ec-p384';
export const KEY_TYPES: readonly KeyType[] = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ec-p256', 'ec-p384'];

export interface CaSettings {
  name: string;
  keyType: KeyType;
  intermediate: boolean;
  /** Base of the public URLs written into issued certificates (CRL distribution point, AIA). */
  httpBase: string;
  createdAt: string;
  /** Monotonic CRL number (RFC 5280 §5.2.3). */
  crlNumber: number;
  /** The root CRL's number, when there is an intermediate. */
  rootCrlNumber?: number;
  /** Issued-certificate counter: the running number of the next index entry. */
  nextSequence: number;
  /** Where each CA key is kept. Absent in CAs made before the choice existed: key files. */
  keys?: { root: CaKeyLocation; issuing?: CaKeyLocation };
  /** Set when the root has revoked the issuing intermediate (listed in the root's CRL). */
  issuingRevocation?: { revokedAt: string; reason: RevocationReason };
}

/** Where one CA key is kept. */
export type CaKeyLocation =
  /** root.key / issuing.key: encrypted PKCS#8 under the CA passphrase. */
  | { store: 'file' }
  /** ca.vault, under the CA passphrase; `id` is the credential's id (certificate fingerprint). */
  | { store: 'vault'; id: string }
  /** A PKCS#11 token: the key pair was generated there; `id` is its CKA_ID (hex). */
  | { store: 'pkcs11'; module: string; tokenLabel: string; id: string; label: string };


/** The CA vault's file name in the CA directory. */
export const CA_VAULT_FILE = 'ca.vault';

export type RevocationReason =
  | 'unspecified' | 'keyCompromise' | 'cACompromise' | 'affiliationChanged' | 'superseded'
  | 'cessationOfOperation' | 'certificateHold' | 'privilegeWithdrawn';

/** RFC 5280 §5.3.1 CRLReason codes. */
export const REASON_CODES: Record<RevocationReason, number> = {
  unspecified: 0, keyCompromise: 1, cACompromise: 2, affiliationChanged: 3, superseded: 4,
  cessationOfOperation: 5, certificateHold: 6, privilegeWithdrawn: 9,
};

export interface IssuedEntry {
  sequence: number;
  /** Lower-case hex, no leading zero octet. */
  serial: string;
  subject: string;
  email: string;
  template: string;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  status: 'valid' | 'revoked';
  revokedAt?: string;
  reason?: RevocationReason;
  /** Base64 DER of the certificate. */
  certificate: string;
  /** SHA-256 (hex) of the PKCS#12 file Cachet wrote for it: how `ca distribute` knows what it mails. */
  pfxSha256?: string;
  /** When and how the certificate reached its owner (a distribution mail, the requester of a CSR or
   *  an ACME order). Only delivered certificates are published to the directory. */
  delivered?: { at: string; via: string };
  /** The last publication to the directory. */
  published?: { at: string; dn: string };
  /** The serial this certificate renews (same mailbox, same template), and the one renewing it. */
  renews?: string;
  renewedBy?: string;
}

/** A CA certificate and the handle that signs with its key (a software key, or a vault/token key). */
export interface CaKeyPair {
  certificate: Uint8Array;
  key: PrivateKeyHandle;
}

const LOCK_WAIT_MS = 10_000;
const STALE_LOCK_MS = 60_000;

export function cachetHome(env: NodeJS.ProcessEnv): string {
  return env.CACHET_HOME ?? join(homedir(), '.cachet');
}

export function caDirectory(env: NodeJS.ProcessEnv): string {
  return join(cachetHome(env), 'ca');
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * PBKDF2 work factor of the CA key files. Node's own `export({ cipher, passphrase })` takes OpenSSL's
 * default of 2048 iterations, which lets a copied key file be guessed at millions of passphrases a
 * second; OWASP's Password Storage Cheat Sheet asks 600 000 for PBKDF2-HMAC-SHA256. Node offers no
 * way to set the count, so the EncryptedPrivateKeyInfo (RFC 5958 §3) is built here with the engine's
 * PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC); OpenSSL and `createPrivateKey` read it as before.
 */
export const CA_KEY_FILE_ITERATIONS = 600_000;

function encryptPrivateKey(key: KeyObject, passphrase: string): string {
  const { algorithm, encrypted } = pbes2Encrypt(passphrase, key.export({ type: 'pkcs8', format: 'der' }), CA_KEY_FILE_ITERATIONS);
  return pemEncode(sequence(algorithm, octetString(encrypted)), 'ENCRYPTED PRIVATE KEY');
}

/** A copy in a fresh ArrayBuffer: what WebCrypto and @peculiar/x509 take as BufferSource. */
export function bufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

export function pemEncode(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** DER of every PEM block with the label; DER input comes back as is. */
export function pemDecodeAll(data: Uint8Array, label: string): Uint8Array[] {
  const text = Buffer.from(data).toString('latin1');
  if (!text.includes('-----BEGIN')) return [new Uint8Array(data)];
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
    if (m[1] === label) out.push(new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

/** A fresh random serial: 128 bits from the CSPRNG, positive, never starting with a zero octet
 *  (CA/B Forum S/MIME BR §7.1: "at least 64 bits of output from a CSPRNG"). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}

export class CaStore {
  readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
  }

  static fromEnv(env: NodeJS.ProcessEnv): CaStore {
    return new CaStore(caDirectory(env));
  }

  private path(name: string): string {
    return join(this.directory, name);
  }

  async isInitialised(): Promise<boolean> {
    return exists(this.path('ca.json'));
  }

  async settings(): Promise<CaSettings> {
    try {
      return JSON.parse(await readFile(this.path('ca.json'), 'utf8')) as CaSettings;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new CachetError('ERR_CA_NOT_INITIALISED', `no CA has been set up in ${this.directory}; run "cachet ca init" first`, { details: { directory: this.directory } });
      }
      throw error;
    }
  }

  async saveSettings(settings: CaSettings): Promise<void> {
    await writeFileAtomically(this.path('ca.json'), `${JSON.stringify(settings, null, 2)}\n`, 'the CA settings');
  }

  /** Writes a CA certificate and its key, encrypted under the passphrase (the key-file store). */
  async saveCaKeyPair(which: 'root' | 'issuing', certificate: Uint8Array, key: KeyObject, passphrase: string): Promise<void> {
    await writeFileAtomically(this.path(`${which}.key`), encryptPrivateKey(key, passphrase), 'the CA key');
    await this.saveCaCertificate(which, certificate);
  }

  /** Writes a CA certificate (public: readable without the passphrase, by `cachet ca cert`). */
  async saveCaCertificate(which: 'root' | 'issuing', certificate: Uint8Array): Promise<void> {
    await writeFileAtomically(this.path(`${which}.pem`), pemEncode(certificate, 'CERTIFICATE'), 'the CA certificate', 0o644);
  }

  /** The CA vault's path. */
  get vaultPath(): string {
    return this.path(CA_VAULT_FILE);
  }

  async caCertificate(which: 'root' | 'issuing'): Promise<Uint8Array> {
    await this.settings();
    const [der] = pemDecodeAll(await readFile(this.path(`${which}.pem`)), 'CERTIFICATE');
    if (!der) throw new CachetError('ERR_CA_NOT_INITIALISED', `${this.path(`${which}.pem`)} holds no certificate`);
    return der;
  }

  /** The certificate that signs end-entity certificates: the intermediate when there is one. */
  async issuerCertificate(): Promise<Uint8Array> {
    const settings = await this.settings();
    return this.caCertificate(settings.intermediate ? 'issuing' : 'root');
  }

  /** The issuer first, up to and including the root. */
  async chain(): Promise<Uint8Array[]> {
    const settings = await this.settings();
    const root = await this.caCertificate('root');
    return settings.intermediate ? [await this.caCertificate('issuing'), root] : [root];
  }

  /**
   * The issuing key pair: the intermediate's when there is one, else the root's. `unlock` is the CA
   * passphrase, or a CaUnlock that supplies the passphrase and/or the token PIN as the key needs.
   */
  async issuer(unlock: string | CaUnlock): Promise<CaKeyPair> {
    const settings = await this.settings();
    return this.loadKeyPair(settings.intermediate ? 'issuing' : 'root', unlock);
  }

  /**
   * A CA certificate and a handle on its key, wherever the settings say the key is kept.
   * @throws CachetError ERR_VAULT_BAD_PASSPHRASE (wrong CA passphrase), ERR_TOKEN_PIN_INCORRECT /
   *   ERR_TOKEN_ABSENT (token), ERR_KEY_MISMATCH (the key does not belong to the certificate).
   */
  async loadKeyPair(which: 'root' | 'issuing', unlock: string | CaUnlock): Promise<CaKeyPair> {
    const settings = await this.settings();
    const access = typeof unlock === 'string' ? CaUnlock.withPassphrase(unlock) : unlock;
    const certificate = await this.caCertificate(which);
    const certificateSpki = new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'der' });
    const location: CaKeyLocation = settings.keys?.[which] ?? { store: 'file' };
    if (location.store === 'pkcs11') {
      const token = await access.token(location);
      // The certificate written beside the key at `ca init` must be the one in the CA directory: a
      // swapped token (same label, other keys) would sign things nobody can verify.
      const onToken = token.certificateById(location.id);
      if (onToken && !Buffer.from(onToken).equals(Buffer.from(certificate))) {
        throw new CachetError('ERR_KEY_MISMATCH', `the token "${location.tokenLabel}" holds another certificate under the CA key's id ${location.id}: it is not this CA's token`);
      }
      const key = token.privateKeyById(location.id, certificateSpki, location.label);
      // And the key under that id must be the certificate's: one signature over a random challenge,
      // checked here, before the key signs anything a relying party will see.
      const challenge = randomBytes(32);
      const signature = await key.sign(challenge, key.kind === 'rsa' ? 'rsa-pkcs1' : 'ecdsa', 'sha256');
      const publicKey = createPublicKey({ key: certificateSpki, format: 'der', type: 'spki' });
      if (!verify('sha256', challenge, key.kind === 'ec' ? { key: publicKey, dsaEncoding: 'der' } : publicKey, signature)) {
        throw new CachetError('ERR_KEY_MISMATCH', `the key "${location.label}" on the token "${location.tokenLabel}" does not belong to ${this.path(`${which}.pem`)}`);
      }
      return { certificate, key };
    }
    if (location.store === 'vault') {
      const vault = await access.vault(this.vaultPath);
      const record = (await vault.list()).find((c) => c.id === location.id);
      if (!record) throw new CachetError('ERR_KEY_NOT_FOUND', `the CA vault ${this.vaultPath} holds no key for the ${which} CA; restore the vault from a backup`);
      // The vault keeps the key in PKCS#8 inside its encryption; loaded here, it lives in memory only.
      const handle = await vault.privateKey(location.id);
      if (!Buffer.from(record.certificate).equals(Buffer.from(certificate))) {
        throw new CachetError('ERR_KEY_MISMATCH', `the CA vault's ${which} key belongs to another certificate than ${this.path(`${which}.pem`)}`);
      }
      return { certificate, key: handle };
    }
    const source = this.path(`${which}.key`);
    const passphrase = await access.passphrase();
    let pem: string;
    try {
      pem = await readFile(source, 'utf8');
    } catch (error) {
      throw new CachetError('ERR_KEY_NOT_FOUND', `the CA key file ${source} cannot be read; restore it from a backup`, { cause: error, details: { file: source } });
    }
    let keyObject: KeyObject;
    try {
      keyObject = createPrivateKey({ key: pem, format: 'pem', passphrase });
    } catch (error) {
      throw new CachetError('ERR_VAULT_BAD_PASSPHRASE', 'the CA passphrase is wrong (the CA key could not be decrypted)', { cause: error });
    }
    // A key file swapped under the certificate would sign things nobody can verify: refuse it.
    if (!certificateSpki.equals(createPublicKey(keyObject).export({ type: 'spki', format: 'der' }))) {
      throw new CachetError('ERR_KEY_MISMATCH', `the CA key ${source} does not belong to ${this.path(`${which}.pem`)}`);
    }
    return { certificate, key: softwareKey(keyObject) };
  }

  async index(): Promise<IssuedEntry[]> {
    try {
      return JSON.parse(await readFile(this.path('index.json'), 'utf8')) as IssuedEntry[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async saveIndex(entries: IssuedEntry[]): Promise<void> {
    await writeFileAtomically(this.path('index.json'), `${JSON.stringify(entries, null, 2)}\n`, 'the CA index');
  }

  /**
   * Runs a read-modify-write of the CA's files under an exclusive lock file, so two commands run at
   * once (two `cachet ca issue`, an issue and a revoke) cannot lose each other's index entries.
   * A lock whose process is gone, or older than {@link STALE_LOCK_MS}, is taken to be left by a crash.
   */
  locked<T>(action: () => Promise<T>): Promise<T> {
    return withFileLock(this.path('.lock'), action, { timeoutMs: LOCK_WAIT_MS, staleMs: STALE_LOCK_MS, what: `the CA in ${this.directory}` });
  }

  /** Records a newly issued certificate; returns the entry with its sequence number. */
  async record(entry: Omit<IssuedEntry, 'sequence'>): Promise<IssuedEntry> {
    return this.locked(async () => {
      const settings = await this.settings();
      const entries = await this.index();
      const full: IssuedEntry = { sequence: settings.nextSequence, ...entry };
      entries.push(full);
      await this.saveIndex(entries);
      await this.saveSettings({ ...settings, nextSequence: settings.nextSequence + 1 });
      return full;
    });
  }

  /** The CA's append-only audit log (audit-log.ts). */
  get audit(): CaAuditLog {
    return new CaAuditLog(this.directory);
  }

  /**
   * Changes index entries under the lock; `change` returns the entries it changed.
   */
  async updateEntries(change: (entries: IssuedEntry[]) => IssuedEntry[]): Promise<IssuedEntry[]> {
    return this.locked(async () => {
      const entries = await this.index();
      const changed = change(entries);
      if (changed.length > 0) await this.saveIndex(entries);
      return changed;
    });
  }

  async findBySerial(serial: string): Promise<IssuedEntry | undefined> {
    const wanted = normaliseSerial(serial);
    return (await this.index()).find((e) => e.serial === wanted);
  }

  /** The issuing CA's CRL (crl.der), or the root's (root-crl.der) when there is an intermediate. */
  async saveCrl(der: Uint8Array, which: 'issuing' | 'root' = 'issuing'): Promise<void> {
    await writeFileAtomically(this.path(which === 'root' ? 'root-crl.der' : 'crl.der'), der, 'the CRL', 0o644);
  }

  async crl(which: 'issuing' | 'root' = 'issuing'): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.path(which === 'root' ? 'root-crl.der' : 'crl.der')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}

/** Serials as users type them: with or without colons, any case, leading zeros. */
export function normaliseSerial(serial: string): string {
  const hex = serial.trim().toLowerCase().replace(/^0x/, '').replace(/[:\s]/g, '');
  if (!/^[0-9a-f]+$/.test(hex)) throw new CachetError('ERR_USAGE', `"${serial}" is not a hexadecimal serial number`);
  return hex.replace(/^(00)+(?=[0-9a-f]{2})/, '');
}
