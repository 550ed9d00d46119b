/**
 * cachet ca revoke SERIAL --reason R [--passphrase-file F]
 */
import { CachetError } from '../../engine/errors.js';
import { REASON_CODES } from '../../ca/ca-store.js';
import { parseReason, revokeCertificate } from '../../ca/revoke.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { caIssuer, caStore } from './ca-support.js';

const help = `usage: cachet ca revoke SERIAL [--reason R] [--passphrase-file F]

Revokes a certificate this CA issued and publishes a new CRL at once; the OCSP responder answers
"revoked" from then on.

Options:
  --reason R           ${Object.keys(REASON_CODES).join(', ')} (default unspecified)
  --passphrase-file F  the CA passphrase (else $CACHET_CA_PASSPHRASE, else a prompt)
  --json               print the revoked entry as JSON

Exit statuses: 0 revoked · 1 unknown serial or already revoked · 2 usage · 4 passphrase`;

const options = {
  reason: { type: 'string' },
  'passphrase-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  summary: 'revoke an issued certificate (and publish a new CRL)',
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    if (positionals.length !== 1) throw new CachetError('ERR_USAGE', 'give exactly one serial number: cachet ca revoke SERIAL --reason R');
    const reason = parseReason(values.reason ?? 'unspecified');
    const store = caStore(context);
    const issuer = await caIssuer(store, values['passphrase-file'], context);
    const entry = await revokeCertificate(store, issuer, positionals[0]!, reason);
    if (values.json) {
      const { certificate: _certificate, ...rest } = entry;
      context.stdout.write(`${JSON.stringify(rest)}\n`);
    } else {
      context.stdout.write(`revoked ${entry.serial} (${entry.email}, ${entry.template}) for ${reason}; a new CRL is published\n`);
    }
    return 0;
  },
};

export default command;
