/**
 * The inner loop of the PKCS#12 KDF (RFC 7292 appendix B.2: A = H^c(D || I)), run off the event
 * loop. Node has no asynchronous form of this KDF (its async pbkdf2 and scrypt are other KDFs), and
 * a hostile or merely modern file asks for hundreds of thousands of rounds: done inline, one mailed
 * .p12 would freeze the web server for every user while it is read.
 *
 * Small derivations (Windows and `openssl -legacy` use 2,000–2,048 rounds) are hashed inline: a
 * worker costs more to start than they take. A larger one gets ONE worker for all its output blocks.
 * The worker is plain CommonJS given as code, so it needs no file of its own and runs the same from
 * the TypeScript sources and from the build; its loop is `iterate` below, the same function the
 * inline path calls, passed by its source text.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { CachetError } from '../../errors.js';

/** Derivations of up to this many rounds in all are hashed on the calling thread (about 15 ms of SHA-1 here). */
const INLINE_ROUNDS = 10_000;

/**
 * H applied `rounds` times to `input` (rounds ≥ 1). It is also the worker's loop, sent as its
 * source text: it must use nothing but its parameters (no imports, no helpers, no inner functions).
 */
function iterate(hashFunction: typeof createHash, hash: string, input: Uint8Array, rounds: number): Buffer {
  let a = hashFunction(hash).update(input).digest();
  for (let r = 1; r < rounds; r++) a = hashFunction(hash).update(a).digest();
  return a;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const iterate = ${iterate.toString()};
parentPort.on('message', (input) => parentPort.postMessage(iterate(createHash, workerData.hash, input, workerData.rounds)));
`;

/** H^rounds of one input; called once per output block of a derivation, one call at a time. */
export type IteratedHash = (input: Uint8Array) => Promise<Buffer>;

/**
 * Runs `derive` with an {@link IteratedHash} of `rounds` rounds of `hash`: inline when the whole
 * derivation (`rounds` × `blocks`) is small, otherwise in one worker thread, ended when `derive` ends.
 * @throws CachetError ERR_INTERNAL when the worker fails (Cachet's fault, never reported as a damaged file).
 */
export async function withIteratedHash<T>(hash: string, rounds: number, blocks: number, derive: (hashRounds: IteratedHash) => Promise<T>): Promise<T> {
  if (rounds * blocks <= INLINE_ROUNDS) return derive(async (input) => iterate(createHash, hash, input, rounds));
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { hash, rounds } });
  let pending: { resolve: (value: Buffer) => void; reject: (error: unknown) => void } | undefined;
  let failure: CachetError | undefined;
  const fail = (cause: unknown) => {
    failure ??= new CachetError('ERR_INTERNAL', 'the key-derivation worker failed', { cause });
    pending?.reject(failure);
    pending = undefined;
  };
  worker.on('message', (value: Uint8Array) => {
    pending?.resolve(Buffer.from(value));
    pending = undefined;
  });
  worker.once('error', fail);
  worker.once('exit', (code) => fail(new Error(`exit ${code}`)));
  try {
    return await derive(
      (input) =>
        new Promise<Buffer>((resolve, reject) => {
          if (failure) return reject(failure);
          pending = { resolve, reject };
          worker.postMessage(Buffer.from(input));
        }),
    );
  } finally {
    worker.removeAllListeners('exit');
    void worker.terminate();
  }
}
