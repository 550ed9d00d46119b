/**
 * `cachet read --save-attachments DIR`: every attachment is saved, each under a name of its own in
 * DIR. An attachment's name is the sender's choice: it may be "..", a path, a name hidden by a leading
 * dot, hold control or bidi characters, or repeat another's. None of that reaches the file system:
 * the name is reduced to a plain file name (or attachment-N), and a name already used in DIR
 * (by this message or an earlier file) gets " (2)", " (3)"… before its extension — nothing is
 * overwritten, no attachment is skipped.
 */
import { open, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { isCachetError } from '../../errors.js';
import type { ByteStream } from '../../engine/stream-types.js';
import { outputWriteError } from '../../adapters/storage/atomic-file.js';

/** Bytes of a saved name (file systems allow 255; room is left for " (NN)"). */
const MAX_NAME_BYTES = 200;
/** Names tried for one attachment before giving up (a directory full of its copies). */
const MAX_TRIES = 1000;

/**
 * A file name for an attachment: path separators, C0/C1 controls and bidi/format characters
 * replaced, leading dots and spaces dropped, shortened to MAX_NAME_BYTES keeping the extension;
 * `attachment-N` when nothing is left.
 */
export function safeAttachmentName(filename: string, index: number): string {
  let name = Array.from(filename.normalize('NFC'), (c) => (isUnsafeInName(c.codePointAt(0)!) ? '_' : c))
    .join('')
    .replace(/^[\s.]+/, '')
    .replace(/[\s.]+$/, '');
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    const extension = extname(name).slice(0, 20);
    let stem = name.slice(0, name.length - extension.length);
    while (Buffer.byteLength(stem + extension) > MAX_NAME_BYTES) stem = Array.from(stem).slice(0, -1).join('');
    name = stem + extension;
  }
  return name.replace(/^_+$/, '') === '' ? `attachment-${index + 1}` : name;
}

/** A path separator, a C0 or C1 control, or a bidi or invisible format character. */
function isUnsafeInName(code: number): boolean {
  return (
    code === 0x2f || code === 0x5c || code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x061c ||
    (code >= 0x200b && code <= 0x200f) || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069) || code === 0xfeff
  );
}

function numbered(name: string, n: number): string {
  if (n === 1) return name;
  const extension = extname(name);
  return `${name.slice(0, name.length - extension.length)} (${n})${extension}`;
}

/**
 * Saves one attachment's content under its safe name in `dir`, never over an existing file.
 * @returns the path written
 * @throws CachetError ERR_OUTPUT_WRITE when DIR cannot be written (nothing partial is left)
 */
export async function saveAttachment(dir: string, attachment: { index: number; filename: string }, content: ByteStream): Promise<string> {
  const name = safeAttachmentName(attachment.filename, attachment.index);
  for (let n = 1; n <= MAX_TRIES; n++) {
    const path = join(dir, numbered(name, n));
    let handle;
    try {
      handle = await open(path, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw outputWriteError(path, error, 'the attachment');
    }
    try {
      for await (const chunk of content) await handle.write(chunk);
      await handle.close();
      return path;
    } catch (error) {
      await handle.close().catch(() => {});
      await rm(path, { force: true });
      // The content's own error (read from the message) is told as it is; the rest is the disk's.
      if (isCachetError(error)) throw error;
      throw outputWriteError(path, error, 'the attachment');
    }
  }
  throw outputWriteError(join(dir, name), new Error(`${MAX_TRIES} files of that name exist already`), 'the attachment');
}
