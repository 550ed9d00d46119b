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
    if (!positionals && parsed.positionals.length > 0) {
      throw new CachetError('ERR_USAGE', `unexpected argument "${parsed.positionals[0]}"`);
    }
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    if (error instanceof CachetError) throw error;
    throw new CachetError('ERR_USAGE', (error as Error).message.split('\n')[0] ?? 'bad arguments', { cause: error });
  }
}

/** A required option: a usage error naming it when absent. */
export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === '' ) throw new CachetError('ERR_USAGE', `the option --${name} is required`);
  return value;
}
