/**
 * cachet ca recovery-init --officer NAME:FILE --officer NAME:FILE [--officer NAME:FILE]… [--json]
 */
import { createRecoveryKey } from '../../../adapters/ca/key-archive.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { caActor, caStore, officerFrom } from './ca-support.js';

const help = `usage: cachet ca recovery-init --officer NAME:FILE --officer NAME:FILE [--officer NAME:FILE]... [--json]

Sets up the CA's key recovery: a recovery key pair whose private key is encrypted once for every
pair of the named officers, under both of their passphrases (each read from its FILE, at least 12
characters). Any two officers acting together can then recover an archived encryption key ("cachet
ca recover"); one alone cannot. Keys are archived with "cachet ca issue --archive-key", for
encryption-only templates only: signing keys are never archived.

Exit statuses: 0 set up · 1 a recovery key exists already · 2 usage (fewer than two officers, a short passphrase) · 3 a file`;

const options = { officer: { type: 'string', multiple: true }, json: { type: 'boolean' } } as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const officers = [];
    for (const value of values.officer ?? []) officers.push(await officerFrom(value, context));
    const result = await createRecoveryKey(caStore(context), officers, caActor(context));
    if (values.json) context.stdout.write(`${JSON.stringify(result)}\n`);
    else context.stdout.write(`recovery key set up: any two of ${result.officers.join(', ')} can recover an archived encryption key together\n`);
    return 0;
  },
};

export default command;
