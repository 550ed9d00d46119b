/**
 * cachet cert remove ID [--passphrase-file F] [--force]
 * Removes a credential from the vault. An encryption key still opens the mail sent to it, so removing
 * one needs --force (or a yes on the terminal).
 */
import { CachetError } from '../../../errors.js';
import { removalWarning, removeCredential } from '../../../use-cases/own-credentials.js';
import { openUserStore } from '../vault-passphrase.js';
import { personalContext } from '../personal-home.js';
import { onlyArgument, parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { findStoredCredential } from '../stored-credential.js';

const help = `usage: cachet cert remove ID [--passphrase-file F] [--force] [--json]

Removes a credential (ID: its fingerprint or the first 8+ hex digits, see "cachet cert list") from
your vault. Mail encrypted to an encryption certificate can no longer be read once its key is gone,
so removing an encryption credential asks first (or needs --force). When the active credential of a
role is removed, the newest remaining one of that role becomes active.

Options:
  --passphrase-file F  the vault passphrase (else $CACHET_VAULT_PASSPHRASE, else a prompt)
  --as ADDRESS         the mail user whose vault it is (in a home with several users)
  --force              remove an encryption credential without asking
  --json               print {"removed": {"id", "role"}}

Exit statuses: 0 removed · 1 not found · 7 an encryption key without --force or a yes · 2 usage ·
4 wrong passphrase`;

const options = {
  'passphrase-file': { type: 'string' },
  as: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    const id = onlyArgument(positionals, 'name the credential to remove (see "cachet cert list")');
    const store = await openUserStore(await personalContext(context, values.as), { passphraseFile: values['passphrase-file'] });
    const credential = await findStoredCredential(store, id);
    const who = credential.email[0] ?? credential.subject;
    const warning = removalWarning(credential);
    if (warning && values.force !== true) {
      if (!context.interactive) throw new CachetError('ERR_POLICY_FORBIDS', `${warning}; add --force if you mean it`, { details: { id: credential.id } });
      const answer = (await context.prompt(`${warning[0]!.toUpperCase()}${warning.slice(1)}. Remove it? [y/N] `)).trim().toLowerCase();
      if (answer !== 'y' && answer !== 'yes') throw new CachetError('ERR_POLICY_FORBIDS', 'nothing was removed', { details: { id: credential.id } });
    }
    await removeCredential(store, credential, true);
    if (values.json) context.stdout.write(`${JSON.stringify({ removed: { id: credential.id, role: credential.role } })}\n`);
    else context.stdout.write(`removed the ${credential.role} credential of ${who} (${credential.id.slice(0, 16)})\n`);
    return 0;
  },
};

export default command;
