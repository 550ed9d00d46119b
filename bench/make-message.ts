/**
 * Writes a benchmark message of about `size` bytes: a multipart/mixed with a short text part and a
 * base64 attachment, generated in fixed chunks so that even 1 GiB costs no memory.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const LINE = 76;

export async function makeMessage(path: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (data: string | Buffer) => {
    if (!out.write(data)) await once(out, 'drain');
  };
  await write(
    'From: alice@example.com\r\nTo: bob@example.com\r\nSubject: benchmark\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: multipart/mixed; boundary="bench-boundary"\r\n\r\n' +
      '--bench-boundary\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThe attachment follows.\r\n' +
      '--bench-boundary\r\nContent-Type: application/octet-stream; name="data.bin"\r\n' +
      'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="data.bin"\r\n\r\n',
  );
  // one block of base64 lines, reused: content varies per block through a counter prefix
  const raw = Buffer.alloc(57 * 1024);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + 7) & 0xff;
  let written = 0;
  let block = 0;
  while (written < size) {
    raw.writeUInt32BE(block++, 0);
    const b64 = raw.toString('base64');
    const lines: string[] = [];
    for (let i = 0; i < b64.length; i += LINE) lines.push(b64.slice(i, i + LINE));
    const text = lines.join('\r\n') + '\r\n';
    const piece = written + text.length > size ? text.slice(0, Math.max(0, Math.floor((size - written) / 78) * 78)) : text;
    if (piece.length === 0) break;
    await write(piece);
    written += piece.length;
  }
  await write('--bench-boundary--\r\n');
  out.end();
  await once(out, 'finish');
}
