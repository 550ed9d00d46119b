/**
 * Argument parsing for commands, on Node's own `util.parseArgs` (strict: an unknown option is a usage
 * error naming the option, never silently ignored).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CachetError } from '../../errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<T extends OptionSpec>(
  args: string[],
  options: T,
  { positionals = false }: { positionals?: boolean } = {},
): { values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>>['values']; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    if (!positionals && parsed.positionals.length > 0) throw unexpectedArgument(parsed.positionals[0]!);
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    if (error instanceof CachetError) throw error;
    throw new CachetError('ERR_USAGE', (error as Error).message.split('\n')[0] ?? 'bad arguments', { cause: error });
  }
}

function unexpectedArgument(argument: string): CachetError {
  return new CachetError('ERR_USAGE', `unexpected argument "${argument}"`);
}

/**
 * The one argument a command takes (a file, a credential id, an app name).
 * @param missing what to say when it is not given ("name the PKCS#12 file to import")
 * @throws CachetError ERR_USAGE when it is missing, or followed by another.
 */
export function onlyArgument(positionals: string[], missing: string): string {
  const [argument, extra] = positionals;
  if (argument === undefined) throw new CachetError('ERR_USAGE', missing);
  if (extra !== undefined) throw unexpectedArgument(extra);
  return argument;
}

/** A required option: a usage error naming it when absent. */
export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === '' ) throw new CachetError('ERR_USAGE', `the option --${name} is required`);
  return value;
}

/**
 * A whole-number option, or undefined when it was not given. Digits only: Number() would also take
 * "", " 7", "1e3" and "0x10", none of which a person means as a count.
 * @param unit what is counted, for the message ("days", "seconds")
 * @throws CachetError ERR_USAGE naming the option and what it needs.
 * @example wholeNumberOption(values.expiring, 'expiring', 'days') // 30, for --expiring 30
 */
export function wholeNumberOption(value: string | undefined, name: string, unit: string, { min = 0 }: { min?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min) {
    throw new CachetError('ERR_USAGE', `--${name} needs a whole number of ${unit}${min > 0 ? ` (${min} or more)` : ''} (not "${value}")`);
  }
  return number;
}

/**
 * A TCP port option, or undefined when it was not given. Port 0 ("any free port") only where a
 * listener may take it (`anyFreePort`); a port to connect to must be named.
 * @throws CachetError ERR_USAGE naming the option.
 */
export function portOption(value: string | undefined, name: string, { anyFreePort = false }: { anyFreePort?: boolean } = {}): number | undefined {
  if (value === undefined) return undefined;
  const min = anyFreePort ? 0 : 1;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= min && port <= 65535)) throw new CachetError('ERR_USAGE', `--${name} needs a TCP port number, ${min} to 65535 (not "${value}")`);
  return port;
}
