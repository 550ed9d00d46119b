/**
 * cachet cert list [--passphrase-file F] [--json]
 * Lists the credentials in the user's vault: role, whether active, holder and expiry.
 */
import { isCachetError } from '../../../errors.js';
import type { StoredCredential } from '../../../adapters/keys/credential-store.js';
import { openUserStore } from '../vault-passphrase.js';
import { personalContext } from '../personal-home.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';

const help = `usage: cachet cert list [--passphrase-file F] [--json]

Lists your credentials (certificate + private key) in the vault: id (SHA-256 fingerprint), role,
whether it is the active one for its role, holder, e-mail addresses and expiry. Inactive encryption
credentials are kept to read old mail.

Options:
  --passphrase-file F  the vault passphrase (else $CACHET_VAULT_PASSPHRASE, else a prompt)
  --as ADDRESS         the mail user whose vault it is (in a home with several users)
  --json               print {"credentials": [...]}

Exit statuses: 0 listed (also when there is no vault yet) · 4 wrong passphrase · 1 damaged vault`;

const options = {
  'passphrase-file': { type: 'string' },
  as: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function publicView(c: StoredCredential): Record<string, unknown> {
  return {
    id: c.id,
    role: c.role,
    active: c.active,
    subject: c.subject,
    email: c.email,
    notAfter: c.notAfter,
    addedAt: c.addedAt,
    exportable: c.exportable,
    ...(c.friendlyName !== undefined ? { friendlyName: c.friendlyName } : {}),
  };
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    let credentials: StoredCredential[];
    try {
      credentials = await (await openUserStore(await personalContext(context, values.as), { passphraseFile: values['passphrase-file'] })).list();
    } catch (error) {
      if (!isCachetError(error, 'ERR_VAULT_NOT_FOUND')) throw error;
      credentials = [];
    }
    if (values.json) {
      context.stdout.write(`${JSON.stringify({ credentials: credentials.map(publicView) })}\n`);
      return 0;
    }
    if (credentials.length === 0) {
      context.stdout.write('no credentials yet; import one with "cachet cert import FILE.p12"\n');
      return 0;
    }
    for (const c of credentials) {
      const state = c.active ? 'active' : 'inactive';
      context.stdout.write(`${c.id.slice(0, 16)}  ${c.role.padEnd(10)} ${state.padEnd(8)} ${c.email.join(', ') || c.subject}  (expires ${c.notAfter.slice(0, 10)})\n`);
    }
    return 0;
  },
};

export default command;
