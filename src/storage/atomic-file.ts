/**
 * Files written so that a crash leaves either the old or the new contents: write a temporary file
 * (owner-only unless told otherwise), fsync, rename over the target, fsync the directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CachetError } from '../engine/errors.js';

/**
 * @param what names the file in the error, e.g. "the credential vault".
 * @param mode of the new file: 0600 by default; 0644 for what is public (certificates, CRLs).
 */
export async function writeFileAtomically(path: string, bytes: Uint8Array | string, what = '', mode = 0o600): Promise<void> {
  const dir = dirname(path);
  // A device or a named pipe (--out /dev/stdout, /dev/null, a FIFO) is written in place: a temporary
  // file renamed over it would replace the device node itself. It holds nothing to keep whole.
  const existing = await stat(path).catch(() => undefined);
  if (existing && !existing.isFile() && !existing.isDirectory()) {
    try {
      await writeFile(path, bytes);
      return;
    } catch (error) {
      throw writeFailed(path, what, error);
    }
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', mode);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw writeFailed(path, what, error);
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename itself has happened.
  } finally {
    await dirHandle.close();
  }
}

function writeFailed(path: string, what: string, error: unknown): CachetError {
  return new CachetError('ERR_OUTPUT_WRITE', `cannot write ${what ? `${what} ` : ''}${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
}
