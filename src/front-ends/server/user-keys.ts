/**
 * Where each user's private keys live on a server (docs/server-keys.md has the threat model). Every
 * user's keys stay in their own vault file (credentials.vault: scrypt and AES-GCM, as on a desktop);
 * its passphrase is not theirs but 32 random bytes drawn by the server on their first sign-in, kept
 * only wrapped (AES-256-GCM, the address as associated data) under the server's key-encryption key.
 * The KEK lives in a file outside the state directory (or in a systemd credential): a copy of the
 * disk or the database without it opens no vault, and a wrapped passphrase copied onto another user's
 * record fails its tag. Sign-in method and key custody are apart, so a password changed on the IMAP
 * server or in the directory does not lock anyone out of their keys.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CachetError } from '../../errors.js';
import { writeFileAtomically } from '../../adapters/storage/atomic-file.js';
import { withFileLock } from '../../adapters/storage/file-lock.js';
import { openFromBase64, sealToBase64 } from '../../adapters/keys/aes-gcm-seal.js';
import { hashedFileName } from './hashed-file-name.js';

export interface WrappedSecret {
  version: 1;
  iv: string;
  ciphertext: string;
  tag: string;
}

/** Where wrapped vault passphrases are kept: files here, a database table next. */
export interface WrappedSecretStore {
  read(address: string): Promise<WrappedSecret | undefined>;
  /** Stores `create()`'s secret unless one exists; returns the one stored (so two instances agree). */
  readOrCreate(address: string, create: () => WrappedSecret): Promise<WrappedSecret>;
}

export class FileWrappedSecretStore implements WrappedSecretStore {
  constructor(private readonly directory: string) {}

  private path(address: string): string {
    return join(this.directory, hashedFileName(address));
  }

  async read(address: string): Promise<WrappedSecret | undefined> {
    try {
      return JSON.parse(await readFile(this.path(address), 'utf8')) as WrappedSecret;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CachetError('ERR_VAULT_CORRUPT', `the wrapped key of ${address} cannot be read`, { cause: error });
    }
  }

  async readOrCreate(address: string, create: () => WrappedSecret): Promise<WrappedSecret> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    return withFileLock(`${this.path(address)}.lock`, async () => {
      const existing = await this.read(address);
      if (existing) return existing;
      const secret = create();
      await writeFileAtomically(this.path(address), JSON.stringify(secret), 'a wrapped vault key');
      return secret;
    }, { what: 'the wrapped vault keys' });
  }
}

const KEK_BYTES = 32;

/** A new key-encryption key as its file holds it: base64 of 32 random bytes. */
export function newKeyEncryptionKeyText(): string {
  return `${randomBytes(KEK_BYTES).toString('base64')}\n`;
}

/**
 * Reads the KEK file: refused unless it holds exactly 32 bytes and only its owner may read it.
 * @throws CachetError ERR_INPUT_READ / ERR_POLICY_INVALID naming the file.
 */
export async function readKeyEncryptionKey(file: string): Promise<Buffer> {
  let text: string;
  try {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0) throw new CachetError('ERR_POLICY_INVALID', `the key-encryption key ${file} may be read by others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`);
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof CachetError) throw error;
    throw new CachetError('ERR_INPUT_READ', `cannot read the key-encryption key ${file}: ${(error as Error).message}; make one with "cachet server --init-key ${file}"`, { cause: error });
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEK_BYTES) throw new CachetError('ERR_POLICY_INVALID', `the key-encryption key ${file} must hold ${KEK_BYTES} bytes in base64`);
  return key;
}

const associatedData = (address: string): Buffer => Buffer.from(`cachet vault passphrase v1\0${address}`);

export class UserKeyCustody {
  constructor(
    private readonly kek: Buffer,
    private readonly store: WrappedSecretStore,
  ) {}

  private wrap(address: string, secret: Buffer): WrappedSecret {
    return { version: 1, ...sealToBase64(this.kek, secret, associatedData(address)) };
  }

  private unwrap(address: string, wrapped: WrappedSecret): Buffer {
    const secret = openFromBase64(this.kek, wrapped, associatedData(address));
    if (!secret) throw new CachetError('ERR_VAULT_CORRUPT', `the wrapped vault key of ${address} does not open with this server's key-encryption key (another server's key, or tampered with)`);
    return secret;
  }

  /** The passphrase of the user's vault, drawn and wrapped on first use. */
  async vaultPassphrase(address: string): Promise<string> {
    const wrapped = await this.store.readOrCreate(address, () => this.wrap(address, randomBytes(32)));
    return this.unwrap(address, wrapped).toString('base64url');
  }
}
