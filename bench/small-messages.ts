/**
 * Small-message rates in one process: how many 4 KiB messages Cachet signs and verifies per second
 * (RSA-2048, SHA-256), which process start-up would hide in the whole-command rows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { signEntity } from '../src/engine/smime/sign.js';
import { verifySignedEntity } from '../src/engine/smime/verify.js';
import { readMimeEntity } from '../src/engine/mime/entity-reader.js';
import { softwareKey } from '../src/engine/software-key.js';
import { collectBytes, toByteStream } from '../src/engine/stream-types.js';

export async function measureSmallMessageRates(pki: string, seconds = 2): Promise<{ signsPerSecond: number; verifiesPerSecond: number }> {
  const certificate = readFileSync(join(pki, 'alice.der'));
  const key = softwareKey(createPrivateKey(readFileSync(join(pki, 'alice.key'))));
  const entity = Buffer.from(`Content-Type: text/plain; charset=us-ascii\r\n\r\n${'A short line of text in a small message.\r\n'.repeat(100)}`);
  const signers = [{ certificate, key }];
  let signed: Buffer = Buffer.alloc(0);
  let count = 0;
  let start = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - start) / 1e9 < seconds) {
    signed = await collectBytes(signEntity(toByteStream(entity), { signers, mode: 'detached' }));
    count++;
  }
  const signsPerSecond = count / (Number(process.hrtime.bigint() - start) / 1e9);
  count = 0;
  start = process.hrtime.bigint();
  const sink = { write: () => {} };
  while (Number(process.hrtime.bigint() - start) / 1e9 < seconds) {
    await verifySignedEntity(await readMimeEntity(toByteStream(signed)), sink);
    count++;
  }
  return { signsPerSecond, verifiesPerSecond: count / (Number(process.hrtime.bigint() - start) / 1e9) };
}
