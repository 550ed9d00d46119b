/**
 * cachet cert export ID --out FILE.p12 [--password-file F] [--passphrase-file F] [--legacy]
 * Writes a credential from the vault as a PKCS#12 file with its chain, protected by a new password.
 */
import { exportCredential } from '../../../use-cases/own-credentials.js';
import { openUserStore } from '../vault-passphrase.js';
import { personalContext } from '../personal-home.js';
import { onlyArgument, parseCommandArgs, required } from '../args.js';
import type { CliCommand } from '../context.js';
import { openOutput } from '../io.js';
import { readSecret } from '../secrets.js';
import { findStoredCredential } from '../stored-credential.js';

const help = `usage: cachet cert export ID --out FILE.p12 [--password-file F] [--passphrase-file F] [--legacy]
                          [--json]

Exports a credential (ID: its fingerprint or the first 8+ hex digits, see "cachet cert list") as a
PKCS#12 file holding the key, the certificate and its chain. Only credentials marked exportable can
be exported. The file is written with OpenSSL 3's modern algorithms (PBES2, AES-256, SHA-256 MAC);
--legacy writes 3DES/SHA-1 for old clients (older Windows, Outlook 2010) instead.

Options:
  --out FILE           where to write the PKCS#12 file (required; created with mode 0600)
  --password-file F    the password for the new file (else $CACHET_PASSWORD, else a prompt)
  --passphrase-file F  the vault passphrase (else $CACHET_VAULT_PASSPHRASE, else a prompt)
  --as ADDRESS         the mail user whose vault it is (in a home with several users)
  --legacy             legacy algorithms for old clients
  --json               print {"exported": {"id", "file", "legacy"}}

Exit statuses: 0 written · 1 not found · 7 not exportable · 2 usage · 3 file I/O · 4 wrong passphrase`;

const options = {
  out: { type: 'string', short: 'o' },
  'password-file': { type: 'string' },
  'passphrase-file': { type: 'string' },
  as: { type: 'string' },
  legacy: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    const id = onlyArgument(positionals, 'name the credential to export (see "cachet cert list")');
    const out = required(values.out, 'out');
    const store = await openUserStore(await personalContext(context, values.as), { passphraseFile: values['passphrase-file'] });
    const credential = await findStoredCredential(store, id);
    // Refused before any password is asked when the key is not exportable.
    await store.exportPrivateKey(credential.id);
    const password = await readSecret({ file: values['password-file'], envVar: 'CACHET_PASSWORD', promptLabel: `Password for ${out}` }, context);
    const pfx = await exportCredential(store, credential, password, values.legacy === true);
    const output = await openOutput(out, context);
    try {
      output.stream.write(pfx);
      await output.commit();
    } catch (error) {
      await output.abort();
      throw error;
    }
    if (values.json) context.stdout.write(`${JSON.stringify({ exported: { id: credential.id, file: out, legacy: values.legacy === true } })}\n`);
    else context.stdout.write(`exported ${credential.email[0] ?? credential.subject} (${credential.role}) to ${out}${values.legacy ? ' with legacy algorithms' : ''}\n`);
    return 0;
  },
};

export default command;
