/**
 * What a CLI command is given: its streams, environment and a way to ask the user. Commands never
 * touch `process` directly, so tests can run them in-process with captured streams.
 */
import type { Readable, Writable } from 'node:stream';

export interface CliContext {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** True when a person is at a terminal and may be asked questions. */
  readonly interactive: boolean;
  /** Ask a question on the terminal; `secret` hides the answer. Throws ERR_PASSWORD_REQUIRED when not interactive. */
  prompt(question: string, options?: { secret?: boolean }): Promise<string>;
}

export interface CliCommand {
  /** The full `--help` text: usage line, options, exit statuses. */
  readonly help: string;
  /** Runs the command with the arguments that follow its name; resolves to the exit status. */
  run(args: string[], context: CliContext): Promise<number>;
}
