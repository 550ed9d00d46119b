/**
 * Runs the CLI in-process with captured streams, as a user would run `cachet ARGS`, for tests that
 * check exit statuses, stdout and stderr without the cost of a process per call.
 */
import { PassThrough, Readable, Writable } from 'node:stream';
import { runCachet as runCachetProcess } from '../../src/entry/cachet.js';
import type { CliContext } from '../../src/front-ends/cli/context.js';
import { childEnv } from './child-env.js';

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export async function runCachet(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string | Buffer; answers?: string[]; cwd?: string } = {}): Promise<CliRun> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (parts: Buffer[]) =>
    new Writable({
      write(chunk, _encoding, done) {
        parts.push(Buffer.from(chunk as Buffer));
        done();
      },
    });
  const stdin = options.stdin === undefined ? new PassThrough() : Readable.from([Buffer.from(options.stdin)]);
  if (options.stdin === undefined) (stdin as PassThrough).end();
  const answers = [...(options.answers ?? [])];
  const context: CliContext = {
    stdin,
    stdout: sink(out),
    stderr: sink(err),
    env: childEnv(options.env),
    cwd: options.cwd ?? process.cwd(),
    interactive: options.answers !== undefined,
    async prompt(question) {
      err.push(Buffer.from(question));
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`unexpected prompt: ${question}`);
      return answer;
    },
  };
  const status = await runCachetProcess(args, context);
  const stdoutBytes = Buffer.concat(out);
  return { status, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes };
}
