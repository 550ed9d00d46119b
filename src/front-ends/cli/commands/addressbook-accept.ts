/**
 * cachet addressbook accept EMAIL FINGERPRINT — vouch for a correspondent's changed certificate.
 */
import { AddressBook } from '../../../adapters/directory/address-book.js';
import { CachetError } from '../../../errors.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { personalHome } from '../personal-home.js';

const help = `usage: cachet addressbook accept EMAIL FINGERPRINT

Accepts a certificate that replaced a correspondent's known key or CA (shown as PENDING by
"cachet addressbook list" and by a key-change warning). Check the fingerprint with the person by
another channel first: a changed key can be an impostor.

Exit statuses: 0 accepted · 2 usage · 5 no such certificate for that address`;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, { as: { type: 'string' } }, { positionals: true });
    if (positionals.length !== 2) throw new CachetError('ERR_USAGE', 'give the e-mail address and the SHA-256 fingerprint of the certificate to accept');
    const [address, fingerprint] = positionals as [string, string];
    const cert = await AddressBook.change(await personalHome(context, values.as), (book) => book.accept(address, fingerprint));
    context.stdout.write(`accepted ${cert.fingerprint} for ${address.toLowerCase()}\n`);
    return 0;
  },
};

export default command;
