/**
 * What the `cachet ca …` commands share: where the CA lives and how its passphrase is read
 * (--passphrase-file, else $CACHET_CA_PASSPHRASE, else a prompt; never argv).
 */
import { writeFile, rename } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join, resolve } from 'node:path';
import { CachetError } from '../../engine/errors.js';
import { CaStore, type CaKeyPair } from '../../ca/ca-store.js';
import type { CliContext } from '../context.js';
import { readSecret } from '../secrets.js';

export function caStore(context: CliContext): CaStore {
  return CaStore.fromEnv(context.env);
}

export async function caPassphrase(file: string | undefined, context: CliContext): Promise<string> {
  return readSecret({ file: file === undefined ? undefined : resolve(context.cwd, file), envVar: 'CACHET_CA_PASSPHRASE', promptLabel: 'CA passphrase' }, context);
}

export async function caIssuer(store: CaStore, file: string | undefined, context: CliContext): Promise<CaKeyPair> {
  await store.settings(); // ERR_CA_NOT_INITIALISED before asking for a passphrase
  return store.issuer(await caPassphrase(file, context));
}

/** Writes a whole output file atomically (temporary file + rename), mode 0600 for secrets. */
export async function writeOutputFile(path: string, data: Uint8Array | string, context: CliContext, mode = 0o600): Promise<string> {
  const target = resolve(context.cwd, path);
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, data, { mode });
    await rename(temporary, target);
  } catch (error) {
    throw new CachetError('ERR_OUTPUT_WRITE', `cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error, details: { file: target } });
  }
  return target;
}

export function inputPath(path: string, context: CliContext): string {
  return resolve(context.cwd, path);
}
