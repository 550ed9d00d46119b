/**
 * cachet server --config FILE [--check] · cachet server --init-key FILE — the web mail client as an
 * organisation deploys it (src/front-ends/server/). This module only parses arguments and wires signals.
 */
import { open } from 'node:fs/promises';
import { CachetError } from '../errors.js';
import { readServerConfig } from '../front-ends/server/config.js';
import { jsonLinesLog } from '../front-ends/server/log.js';
import { startServer } from '../front-ends/server/start.js';
import { assertSafeListen } from '../front-ends/server/listener.js';
import { newKeyEncryptionKeyText } from '../front-ends/server/user-keys.js';
import { webUiAssets } from '../front-ends/web/node-adapter.js';
import { parseCommandArgs } from '../front-ends/cli/args.js';
import type { CliCommand } from '../front-ends/cli/context.js';
import { untilStopped } from '../front-ends/cli/until-stopped.js';

const command: CliCommand = {
  help: `usage: cachet server --config FILE [--check]
       cachet server --init-key FILE

Serves the web mail client for an organisation: HTTPS, sign-in with the users' mail or directory
passwords, their keys kept under the server's key-encryption key. Every key of FILE (YAML) is
described in docs/server-config.md; an unknown key or a bad value stops it with the key's line.
Logs are JSON lines on stdout. SIGHUP reloads the TLS certificate; SIGTERM stops gracefully.

--check         read and check the configuration, then exit (0 when it is good)
--init-key F    write a new key-encryption key to F (mode 600; refused if F exists)

Exit statuses: 0 stopped cleanly or configuration good · 2 bad configuration · 3 a file unreadable`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, { config: { type: 'string' }, check: { type: 'boolean' }, 'init-key': { type: 'string' } });
    if (values['init-key']) {
      // O_EXCL: an existing key is never replaced, since that would orphan every user's vault.
      const file = await open(values['init-key'], 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
        throw new CachetError(error.code === 'EEXIST' ? 'ERR_USAGE' : 'ERR_OUTPUT_WRITE', `cannot create ${values['init-key']}: ${error.code === 'EEXIST' ? 'it exists already (replacing it would make every vault unreadable)' : error.message}`, { cause: error });
      });
      await file.writeFile(newKeyEncryptionKeyText());
      await file.sync();
      await file.close();
      context.stdout.write(`wrote a new key-encryption key to ${values['init-key']}; keep a copy apart from the state directory's backups\n`);
      return 0;
    }
    if (!values.config) throw new CachetError('ERR_USAGE', 'usage: cachet server --config FILE (see docs/server-config.md)');
    const config = await readServerConfig(values.config);
    assertSafeListen(config);
    if (values.check) {
      context.stdout.write(`${config.file}: the configuration is good\n`);
      return 0;
    }
    const log = jsonLinesLog(context.stdout);
    const server = await startServer(config, { log, staticAssets: webUiAssets() });
    const onHup = () => void server.reloadTls().catch((error: unknown) => log.write('error', 'tls-reload-failed', { reason: (error as Error).message }));
    process.on('SIGHUP', onHup);
    await untilStopped();
    process.off('SIGHUP', onHup);
    await server.shutdown();
    return 0;
  },
};

export default command;
