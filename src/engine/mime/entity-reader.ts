/**
 * Reads a MIME entity from a stream: the header block (bounded), then the body as a stream that is
 * never copied whole. Tolerant of LF-only stored mail and of a message with no blank line (all headers).
 */
import { ByteSource } from '../asn1/byte-source.js';
import { CachetError } from '../errors.js';
import type { ByteStream } from '../stream-types.js';
import { HEADER_LIMITS, parseHeaderBlock } from './headers.js';
import type { MimeEntity } from './types.js';

/**
 * Reads the header block from `source` up to and including the blank line; returns its bytes.
 * A body that starts with no header at all (first line blank) yields an empty block.
 */
export async function readHeaderBytes(source: ByteSource): Promise<Buffer> {
  const collected: number[] = [];
  let lineStart = 0;
  for (;;) {
    if (await source.atEnd()) break;
    const byte = await source.readByte();
    collected.push(byte);
    if (collected.length > HEADER_LIMITS.maxHeaderBytes) {
      throw new CachetError('ERR_LIMIT_EXCEEDED', `the header block is larger than ${HEADER_LIMITS.maxHeaderBytes} bytes`);
    }
    if (byte === 0x0a) {
      const lineLength = collected.length - lineStart;
      // a blank line: "\n" or "\r\n"
      if (lineLength === 1 || (lineLength === 2 && collected[lineStart] === 0x0d)) break;
      lineStart = collected.length;
    }
  }
  return Buffer.from(collected);
}

export async function readMimeEntity(stream: ByteStream): Promise<MimeEntity> {
  const source = new ByteSource(stream);
  return readMimeEntityFrom(source);
}

export async function readMimeEntityFrom(source: ByteSource): Promise<MimeEntity> {
  const headerBytes = await readHeaderBytes(source);
  const headers = parseHeaderBlock(headerBytes);
  return { headers, headerBytes, body: source.readRest() };
}
