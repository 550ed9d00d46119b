/**
 * Files written so that a crash leaves either the old or the new contents: write a temporary file
 * (owner-only unless told otherwise), fsync, rename over the target, fsync the directory. The
 * directory is made (owner-only) when missing, so callers need not.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CachetError } from '../../errors.js';

/**
 * @param what names the file in the error, e.g. "the credential vault".
 * @param mode of the new file: 0600 by default; 0644 for what is public (certificates, CRLs).
 */
export async function writeFileAtomically(path: string, bytes: Uint8Array | string, what = '', mode = 0o600): Promise<void> {
  if ((await outputTarget(path, what)) === 'in-place') {
    try {
      await writeFile(path, bytes);
      return;
    } catch (error) {
      throw outputWriteError(path, error, what);
    }
  }
  const dir = dirname(path);
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
    throw outputWriteError(path, error, what);
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

/**
 * How an output path is written, for every writer of outputs (this module, the CLI's streamed
 * outputs): a regular file, or one not there yet, through a temporary file renamed over it; an
 * existing device or named pipe (/dev/null, /dev/stdout, a FIFO) in place, since a rename would
 * replace the device node itself (it once turned /dev/null into a regular file) and there is
 * nothing there to keep whole. A directory is refused before any work is done.
 */
export async function outputTarget(path: string, what = ''): Promise<'replace' | 'in-place'> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new CachetError('ERR_OUTPUT_WRITE', `cannot write ${what ? `${what} ` : ''}${path}: it is a directory`);
  return existing && !existing.isFile() ? 'in-place' : 'replace';
}

/** ERR_OUTPUT_WRITE for a failed write, the disk being full said as such. */
export function outputWriteError(path: string, error: unknown, what = ''): CachetError {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC') return new CachetError('ERR_OUTPUT_WRITE', 'the disk is full; nothing was changed', { cause: error });
  return new CachetError('ERR_OUTPUT_WRITE', `cannot write ${what ? `${what} ` : ''}${path}: ${code ?? (error as Error)?.message}`, { cause: error });
}
