/** cachet import-from-mail ID — import the .pfx/.p12 files an administrator mailed you. */
import { CachetError } from '../../../errors.js';
import { assertMailImportAllowed, importFromMail } from '../../../use-cases/import-from-mail.js';
import { parseCredentialRole, ROLE_QUESTION } from '../../../adapters/keys/credential-store.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { readSecret } from '../secrets.js';
import { openUserSession, USER_OPTIONS } from '../user-session.js';
import { oneLine } from '../terminal-text.js';
import { folderHolding } from '../message-options.js';

const command: CliCommand = {
  help: `usage: cachet import-from-mail ID [--folder F] [--password-file F] [--role signing|encryption|both] [--force]
                               [--as USER] [--passphrase-file F]

For each .pfx/.p12 attachment: asks its password (or --password-file, $CACHET_PASSWORD), reads it and
recognises its role. A signing-only or encryption-only certificate is imported automatically; a
dual-purpose one needs your choice of signing, encryption or both (asked on a terminal, or --role). --force replaces your current
signing certificate. Older encryption keys are always kept, to read old mail.
Exit statuses: 0 all imported · 1 something was not imported (each file says why) · 4 wrong password`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(
      args,
      { ...USER_OPTIONS, folder: { type: 'string' }, 'password-file': { type: 'string' }, role: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
      { positionals: true },
    );
    const [id] = positionals;
    if (!id) throw new CachetError('ERR_USAGE', 'usage: cachet import-from-mail ID');
    const requested = values.role === undefined ? undefined : parseCredentialRole(values.role);
    if (values.role !== undefined && requested === undefined) throw new CachetError('ERR_USAGE', '--role must be signing, encryption or both');
    const session = await openUserSession(context, { as: values.as, passphraseFile: values['passphrase-file'], pinFile: values['pin-file'] });
    try {
      const folder = await folderHolding(session.user.mailbox, id, values);
      assertMailImportAllowed(session.source);
      const store = await session.store(true);
      const results = await importFromMail(session.user, folder, id, store, {
        password: (filename) => readSecret({ file: values['password-file'], envVar: 'CACHET_PASSWORD', promptLabel: `Password for ${filename}` }, context),
        role: async (filename, subject) => {
          if (requested) return requested;
          if (!context.interactive) return undefined;
          return parseCredentialRole(await context.prompt(`${filename} (${subject}) can sign and encrypt. ${ROLE_QUESTION} `));
        },
        replaceSigning: values.force ?? false,
        confirmReplace: async (filename, current) => {
          if (!context.interactive) return false;
          const answer = (await context.prompt(`${oneLine(filename)} would replace your signing certificate ${current.subject} (${current.id.slice(0, 16)}); it stays in the vault, inactive. Replace it? [y/N] `)).trim().toLowerCase();
          return answer === 'y' || answer === 'yes';
        },
      });
      if (values.json) context.stdout.write(`${JSON.stringify({ results })}\n`);
      let status = 0;
      for (const r of results) {
        if (r.kind === 'imported') context.stdout.write(`${r.notice}\n`);
        else if (r.kind === 'confirm-replace') {
          context.stderr.write(`${oneLine(r.filename)}: not imported: your signing certificate ${r.current.subject} is active; replace it with --force\n`);
          status = 1;
        } else if (r.kind === 'choose-role') {
          context.stderr.write(`${oneLine(r.filename)}: ${r.subject} can both sign and encrypt; choose its role with --role signing, encryption or both\n`);
          status = 1;
        } else {
          context.stderr.write(`${oneLine(r.filename)}: not imported: ${r.message}\n`);
          status = r.code === 'ERR_PKCS12_BAD_PASSWORD' ? 4 : 1;
        }
      }
      return status;
    } finally {
      await session.close();
    }
  },
};

export default command;
