/**
 * cachet web [--host H] [--port P] [--demo] — the web mail client, served by Cachet itself on
 * 127.0.0.1 (every asset local, no CDN). --demo first sets up a demo organisation in a temporary
 * home and prints how to sign in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoOrganisation } from '../use-cases/demo-org.js';
import { ClientMailService } from '../front-ends/web/client-mail-service.js';
import { startWebServer } from '../front-ends/web/node-adapter.js';
import { parseCommandArgs, portOption } from '../front-ends/cli/args.js';
import type { CliCommand } from '../front-ends/cli/context.js';
import { cachetHome } from '../front-ends/cli/trust.js';
import { untilStopped } from '../front-ends/cli/until-stopped.js';

const command: CliCommand = {
  help: `usage: cachet web [--host 127.0.0.1] [--port 8025] [--demo]

Serves the web mail client for the users of this Cachet home ($CACHET_HOME). Users sign in with their
password (set by "cachet account add" or the demo). With --demo, a demo organisation (a CA, alice and
bob, and their certificates waiting in the mail to be imported) is set up in a temporary home first.
Stop with Ctrl-C.`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, { host: { type: 'string' }, port: { type: 'string' }, demo: { type: 'boolean' } });
    const port = portOption(values.port, 'port', { anyFreePort: true }) ?? 8025;
    let home = cachetHome(context);
    let cleanup = async () => {};
    const lines: string[] = [];
    if (values.demo) {
      home = await mkdtemp(join(tmpdir(), 'cachet-web-demo-'));
      cleanup = () => rm(home, { recursive: true, force: true });
      const org = await createDemoOrganisation(home, { passwords: { alice: 'alice-demo-password', bob: 'bob-demo-password' } });
      lines.push('A demo organisation is ready (in a temporary home, removed on exit):');
      for (const demo of org.users) lines.push(`  sign in as ${demo.user.address} with the password ${demo.password}`);
      lines.push(`  each inbox holds the administrator's mail with two .pfx files; their password: ${org.users[0]!.pfxPassword} (alice), ${org.users[1]!.pfxPassword} (bob)`);
    }
    const server = await startWebServer({ service: new ClientMailService(home), host: values.host ?? '127.0.0.1', port });
    context.stdout.write(`Cachet Mail is running at ${server.url}\n${lines.join('\n')}${lines.length ? '\n' : ''}Stop with Ctrl-C.\n`);
    await untilStopped();
    await server.close();
    await cleanup();
    return 0;
  },
};

export default command;
