/** cachet account add ADDRESS [--name N] [--web-password-file F] [--smtp-host H --smtp-port P [--smtp-user U --smtp-password-file F] [--smtp-tls] [--smtp-ca F]] */
import { readFile } from 'node:fs/promises';
import { CachetError } from '../../../errors.js';
import { addUser, setLoginPassword } from '../../../use-cases/users.js';
import { saveAccount, type AccountConfig } from '../../../adapters/mail/account-config.js';
import { openUserStore } from '../vault-passphrase.js';
import { parseCommandArgs, portOption } from '../args.js';
import type { CliCommand } from '../context.js';
import { readPasswordFile } from '../secrets.js';
import { cachetHome } from '../trust.js';

const command: CliCommand = {
  help: `usage: cachet account add ADDRESS [--name NAME] [--web-password-file F] [--smtp-host H --smtp-port P [--smtp-user U]
                          [--smtp-password-file F] [--smtp-tls] [--smtp-ca CA.pem]]
                          [--imap-host H [--imap-port 993] [--imap-user U] [--imap-password-file F]
                          [--imap-starttls] [--imap-ca CA.pem]] [--passphrase-file F]

Creates the user's mailbox (INBOX, Sent, Drafts, Outbox). Mail between users of the same Cachet home is
delivered locally; with --smtp-* it goes through that SMTP server (STARTTLS required with --smtp-tls).
The IMAP and SMTP passwords are kept in the user's encrypted vault (created if need be; its
passphrase from --passphrase-file, $CACHET_VAULT_PASSPHRASE or a prompt), never in account.json.
--web-password-file F sets the password the user signs in to the web client with (cachet web, or
cachet server with signIn.method: local): the file's first line, at least 8 characters.`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        name: { type: 'string' },
        'web-password-file': { type: 'string' },
        'smtp-host': { type: 'string' },
        'smtp-port': { type: 'string' },
        'smtp-user': { type: 'string' },
        'smtp-password-file': { type: 'string' },
        'smtp-tls': { type: 'boolean' },
        'smtp-ca': { type: 'string' },
        'imap-host': { type: 'string' },
        'imap-port': { type: 'string' },
        'imap-user': { type: 'string' },
        'imap-password-file': { type: 'string' },
        'imap-starttls': { type: 'boolean' },
        'imap-ca': { type: 'string' },
        'passphrase-file': { type: 'string' },
      },
      { positionals: true },
    );
    const [address] = positionals;
    if (!address || positionals.length !== 1) throw new CachetError('ERR_USAGE', 'usage: cachet account add ADDRESS');
    // Read before the user is made: an unreadable or short password file, or a mistyped port, adds nobody.
    const webPassword = values['web-password-file'] ? await readPasswordFile(values['web-password-file'], context) : undefined;
    if (webPassword !== undefined && webPassword.length < 8) throw new CachetError('ERR_USAGE', 'a web password needs at least 8 characters');
    const imapPort = portOption(values['imap-port'], 'imap-port') ?? 993;
    const smtpPort = portOption(values['smtp-port'], 'smtp-port') ?? 587;
    const user = await addUser(cachetHome(context), address, values.name);
    if (webPassword !== undefined) await setLoginPassword(user, webPassword);
    const config: AccountConfig = {};
    if (values['imap-host']) {
      config.imap = {
        host: values['imap-host'],
        port: imapPort,
        secure: !values['imap-starttls'],
        user: values['imap-user'] ?? user.address,
        password: values['imap-password-file'] ? (await readFile(values['imap-password-file'], 'utf8')).replace(/\r?\n$/, '') : '',
        ...(values['imap-ca'] ? { ca: await readFile(values['imap-ca'], 'utf8'), servername: 'localhost' } : {}),
      };
    }
    if (values['smtp-host']) {
      const smtp = {
        host: values['smtp-host'],
        port: smtpPort,
        requireTls: values['smtp-tls'] ?? false,
        ...(values['smtp-user'] ? { user: values['smtp-user'] } : {}),
        ...(values['smtp-password-file'] ? { password: (await readFile(values['smtp-password-file'], 'utf8')).replace(/\r?\n$/, '') } : {}),
        ...(values['smtp-ca'] ? { ca: await readFile(values['smtp-ca'], 'utf8') } : {}),
      };
      config.smtp = smtp;
    }
    if (config.imap || config.smtp) {
      // The user's own vault (their directory is its home), created here when they have none yet.
      const userContext = { ...context, env: { ...context.env, CACHET_HOME: user.dir } };
      await saveAccount(user.dir, config, () => openUserStore(userContext, { passphraseFile: values['passphrase-file'], createIfMissing: true }));
    }
    context.stdout.write(`added ${user.address}${values['imap-host'] ? ` (reading from ${values['imap-host']})` : ''}${values['smtp-host'] ? ` (sending through ${values['smtp-host']})` : ' (local delivery)'}\n`);
    return 0;
  },
};

export default command;
