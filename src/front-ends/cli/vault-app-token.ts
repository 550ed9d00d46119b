/**
 * An enrolled app's token for the vault service, for `vault deposit` and `vault list`: --app-token,
 * --app-token-file, $CACHET_VAULT_APP_TOKEN, else the owner-only file $CACHET_HOME/vault-app-token.
 * (--app-token on the command line is accepted, as the usage shows, but never required: other
 * users of the machine can read a process's arguments.)
 */
import { readFile } from 'node:fs/promises';
import { CachetError } from '../../errors.js';
import { defaultAppToken } from '../../adapters/keys/key-source.js';
import type { CliContext } from './context.js';
import { cachetHome } from './trust.js';

export const APP_TOKEN_OPTIONS = {
  'app-token': { type: 'string' },
  'app-token-file': { type: 'string' },
} as const;

export async function readAppToken(values: { 'app-token'?: string | undefined; 'app-token-file'?: string | undefined }, context: CliContext): Promise<string> {
  if (values['app-token'] !== undefined) return values['app-token'].trim();
  const file = values['app-token-file'];
  if (file !== undefined) {
    try {
      return (await readFile(file, 'utf8')).trim();
    } catch (error) {
      throw new CachetError('ERR_INPUT_READ', `cannot read the app token file ${file}`, { cause: error, details: { file } });
    }
  }
  return defaultAppToken(cachetHome(context), context.env);
}
