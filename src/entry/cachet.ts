/**
 * The process entry of `cachet` (bin/cachet runs it): the CLI's command table plus the two commands
 * that start the web front ends, `cachet web` and `cachet server`. It sits above every front end, so
 * that no front end imports another (test/architecture/layers.test.ts): the CLI knows nothing of the
 * web, the web nothing of the CLI.
 */
import { COMMANDS, type CommandTable } from '../front-ends/cli/commands/index.js';
import type { CliContext } from '../front-ends/cli/context.js';
import { defaultContext, runCli } from '../front-ends/cli/run-cli.js';

/** Every command of `cachet`; the web ones are loaded on use, like the CLI's. */
export const CACHET_COMMANDS: CommandTable = {
  ...COMMANDS,
  web: { module: new URL('./web-command.js', import.meta.url).href, summary: 'serve the web mail client on 127.0.0.1' },
  server: { module: new URL('./server-command.js', import.meta.url).href, summary: 'serve the web mail client for an organisation (HTTPS, IMAP/LDAP sign-in; --config FILE)' },
};

/** Runs `cachet ARGV`; resolves to the process exit status. Never throws. */
export function runCachet(argv: string[], context: CliContext = defaultContext()): Promise<number> {
  return runCli(argv, context, CACHET_COMMANDS);
}
