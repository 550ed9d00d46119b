/**
 * Where passwords, passphrases and PINs come from: a file (`--password-file`), an environment
 * variable, or a prompt on the terminal — never from a bare command-line argument, which other users
 * of the machine can read in the process list.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CachetError } from '../../errors.js';
import type { CliContext } from './context.js';

export interface SecretSource {
  /** Path given with --password-file / --passphrase-file / --pin-file. */
  file?: string | undefined;
  /** Environment variable consulted when no file is given. */
  envVar: string;
  /** What the prompt asks for, e.g. "Password for alice.p12". */
  promptLabel: string;
}

export async function readSecret(source: SecretSource, context: CliContext): Promise<string> {
  if (source.file !== undefined) {
    let text: string;
    try {
      text = await readFile(source.file, 'utf8');
    } catch (error) {
      throw new CachetError('ERR_INPUT_READ', `cannot read the secret file ${source.file}`, { cause: error, details: { file: source.file } });
    }
    // A trailing newline is an editor's, not part of the password.
    return text.replace(/\r?\n$/, '');
  }
  const fromEnv = context.env[source.envVar];
  if (fromEnv !== undefined) return fromEnv;
  if (!context.interactive) {
    throw new CachetError('ERR_PASSWORD_REQUIRED', `${source.promptLabel} is needed: give a file with the option, or set ${source.envVar}`);
  }
  return context.prompt(`${source.promptLabel}: `, { secret: true });
}

/** The first line of a password file named on the command line (relative to the command's directory). */
export async function readPasswordFile(path: string, context: CliContext): Promise<string> {
  try {
    return (await readFile(resolve(context.cwd, path), 'utf8')).split(/\r?\n/)[0]!;
  } catch (error) {
    throw new CachetError('ERR_INPUT_READ', `cannot read the password file ${path}: ${(error as Error).message}`, { cause: error });
  }
}
