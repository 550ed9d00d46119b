/**
 * One streaming operation in its own process, so that its peak RSS is its own:
 *   sign detached|opaque FILE MiB  — signs a generated message with a MiB-sized base64 attachment into FILE
 *   verify - FILE                  — verifies FILE
 * Prints one JSON line: {"maxRssMb", "valid"?, "bytes"}.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { signEntity } from '../../../src/engine/smime/sign.js';
import { verifySignedEntity } from '../../../src/engine/smime/verify.js';
import { readMimeEntity } from '../../../src/engine/mime/entity-reader.js';
import { signer } from './support.js';

const [operation, mode, file, mebibytes] = process.argv.slice(2);
const LINE = Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n');
const BLOCK = Buffer.concat(Array.from({ length: Math.floor((64 * 1024) / LINE.length) }, () => LINE));

async function* bigEntity(size: number): AsyncGenerator<Uint8Array> {
  yield Buffer.from(
    'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee the attachment.\r\n' +
      '--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="big.bin"\r\n\r\n',
  );
  for (let n = 0; n < size; n += BLOCK.length) yield BLOCK;
  yield Buffer.from('--b1--\r\n');
}

let bytes = 0;
let valid: boolean | undefined;
if (operation === 'sign') {
  const out = createWriteStream(file!);
  for await (const chunk of signEntity(bigEntity(Number(mebibytes) * 1024 * 1024), { signers: [signer('alice')], mode: mode as 'detached' | 'opaque' })) {
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
} else {
  const report = await verifySignedEntity(await readMimeEntity(createReadStream(file!, { highWaterMark: 64 * 1024 })), { write: (c) => void (bytes += c.length) });
  valid = report.valid;
}
process.stdout.write(`${JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024, valid, bytes })}\n`);
