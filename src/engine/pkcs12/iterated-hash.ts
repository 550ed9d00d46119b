/**
 * The inner loop of the PKCS#12 KDF (RFC 7292 appendix B.2: A = H^c(D || I)), run off the event
 * loop. Node has no asynchronous form of this KDF (its async pbkdf2 and scrypt are other KDFs), and
 * a hostile or merely modern file asks for hundreds of thousands of rounds: done inline, one mailed
 * .p12 would freeze the web server for every user while it is read.
 *
 * Small counts (Windows and `openssl -legacy` use 2,000–2,048) are hashed inline: a worker costs more
 * to start than they take. The worker is plain CommonJS given as code, so it needs no file of its own
 * and runs the same from the TypeScript sources and from the build.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { CachetError } from '../../errors.js';

/** Rounds up to this count are hashed on the calling thread (about 15 ms of SHA-1 here). */
const INLINE_ROUNDS = 10_000;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { hash, input, rounds } = workerData;
let a = createHash(hash).update(input).digest();
for (let r = 1; r < rounds; r++) a = createHash(hash).update(a).digest();
parentPort.postMessage(a);
`;

/** H applied `rounds` times to `input` (rounds ≥ 1), inline or in a worker thread. */
export function iteratedHashSync(hash: string, input: Uint8Array, rounds: number): Buffer {
  let a = createHash(hash).update(input).digest();
  for (let r = 1; r < rounds; r++) a = createHash(hash).update(a).digest();
  return a;
}

/** As iteratedHashSync, without blocking the event loop for large counts. */
export async function iteratedHash(hash: string, input: Uint8Array, rounds: number): Promise<Buffer> {
  if (rounds <= INLINE_ROUNDS) return iteratedHashSync(hash, input, rounds);
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { hash, input: Buffer.from(input), rounds } });
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      worker.once('message', (value: Uint8Array) => resolve(Buffer.from(value)));
      // A worker that fails is Cachet's fault, not the file's: never reported as a damaged PKCS#12.
      const fail = (cause: unknown) => reject(new CachetError('ERR_INTERNAL', 'the key-derivation worker failed', { cause }));
      worker.once('error', fail);
      worker.once('exit', (code) => fail(new Error(`exit ${code}`)));
    });
  } finally {
    void worker.terminate();
  }
}
