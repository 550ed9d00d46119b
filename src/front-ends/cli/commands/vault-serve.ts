/**
 * cachet vault serve [--listen 127.0.0.1:PORT --tls-cert F --tls-key F] [--unlock] [--passphrase-file F] [--idle-seconds N]
 * Runs the vault service in the foreground until interrupted.
 */
import { readFile } from 'node:fs/promises';
import { CachetError } from '../../../errors.js';
import { startVaultService } from '../../../adapters/keys/vault-service/server.js';
import { loadEffectivePolicy } from '../../../adapters/policy/policy.js';
import { parseCommandArgs, wholeNumberOption } from '../args.js';
import { personalContext } from '../personal-home.js';
import type { CliCommand } from '../context.js';
import { cachetHome } from '../trust.js';
import { readVaultPassphrase } from '../vault-passphrase.js';

const help = `usage: cachet vault serve [--listen 127.0.0.1:PORT --tls-cert F --tls-key F] [--as ADDRESS]
                         [--unlock] [--passphrase-file F] [--idle-seconds N]

Runs the shared vault service until interrupted (Ctrl-C, SIGTERM). It holds your opened vault and
answers only apps enrolled with "cachet vault enrol-app", each within its scopes: "use" apps list
credentials and ask it to sign and decrypt, "deposit" apps put credentials in; private keys never
leave it. Every access is written to $CACHET_HOME/vault-audit.log.

By default it listens on a Unix socket in $CACHET_HOME/vault-service/ that only you can reach (when
that path is too long for a socket address, in a private directory under the temporary directory);
apps find it through $CACHET_HOME/vault-service.json.

It starts locked: run "cachet vault unlock" (or give --unlock). It locks itself after the policy's
vaultIdleMinutes without a request.

Options:
  --listen HOST:PORT   listen on loopback TCP with TLS instead (127.0.0.1 or ::1; PORT 0 = any free)
  --tls-cert F         PEM certificate for --listen (apps pin exactly this certificate)
  --tls-key F          PEM private key for --listen
  --unlock             open the vault at start (passphrase from --passphrase-file,
                       $CACHET_VAULT_PASSPHRASE or a prompt)
  --idle-seconds N     lock after N idle seconds when that is sooner than the policy's idle time
                       (meant for tests; it can only shorten the policy's time, never lengthen it)

--as ADDRESS: in a home with several mail users, the user whose vault it is.

Exit statuses: 0 stopped · 1 already running · 2 usage · 4 wrong passphrase`;

const options = {
  as: { type: 'string' },
  listen: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  unlock: { type: 'boolean' },
  'passphrase-file': { type: 'string' },
  'idle-seconds': { type: 'string' },
} as const;

function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = match ? Number.parseInt(match[3]!, 10) : NaN;
  if (!match || port > 65535) throw new CachetError('ERR_USAGE', `--listen takes HOST:PORT, e.g. 127.0.0.1:8443 (got "${text}")`);
  return { host: (match[1] ?? match[2])!, port };
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    context = await personalContext(context, values.as);
    const home = cachetHome(context);
    const policy = await loadEffectivePolicy({ home, policyFile: context.env.CACHET_POLICY });
    let idleSeconds = Number(policy.get('vaultIdleMinutes')) * 60;
    const override = wholeNumberOption(values['idle-seconds'], 'idle-seconds', 'seconds', { min: 1 });
    if (override !== undefined) idleSeconds = Math.min(idleSeconds, override);
    let listen: { host: string; port: number; certificatePem: string; keyPem: string } | undefined;
    if (values.listen !== undefined) {
      if (values['tls-cert'] === undefined || values['tls-key'] === undefined) throw new CachetError('ERR_USAGE', '--listen needs --tls-cert and --tls-key: the vault service speaks TLS only on TCP');
      const readPem = async (file: string) => {
        try {
          return await readFile(file, 'utf8');
        } catch (error) {
          throw new CachetError('ERR_INPUT_READ', `cannot read ${file}`, { cause: error, details: { file } });
        }
      };
      listen = { ...parseListen(values.listen), certificatePem: await readPem(values['tls-cert']), keyPem: await readPem(values['tls-key']) };
    } else if (values['tls-cert'] !== undefined || values['tls-key'] !== undefined) {
      throw new CachetError('ERR_USAGE', '--tls-cert and --tls-key go with --listen HOST:PORT');
    }
    const passphrase = values.unlock ? await readVaultPassphrase(context, values['passphrase-file']) : undefined;
    // Listening for the signals before announcing the address: whoever reads the line may stop us at once.
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    let service;
    try {
      service = await startVaultService({ home, idleSeconds, ...(listen ? { listen } : {}), ...(passphrase !== undefined ? { passphrase } : {}) });
    } catch (error) {
      stop();
      throw error;
    }
    context.stdout.write(`vault service listening on ${service.address} (${service.isLocked() ? 'locked: run "cachet vault unlock"' : 'unlocked'}; locks after ${idleSeconds} s idle)\n`);
    await stopped;
    await service.close();
    context.stdout.write('vault service stopped\n');
    return 0;
  },
};

export default command;
