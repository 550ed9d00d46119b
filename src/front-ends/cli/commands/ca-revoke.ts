/**
 * cachet ca revoke SERIAL --reason R [--passphrase-file F | --pin-file F]
 * cachet ca revoke --intermediate --reason R [--passphrase-file F | --pin-file F]
 */
import { CachetError } from '../../../errors.js';
import { REASON_CODES } from '../../../adapters/ca/ca-store.js';
import { classifySerial, parseReason, revokeCertificate, revokeIntermediate, rootRevocationRefused } from '../../../adapters/ca/revoke.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { CA_SECRET_OPTIONS, caActor, caIssuer, caStore, withCaUnlock } from './ca-support.js';

const help = `usage: cachet ca revoke SERIAL [--reason R] [--passphrase-file F | --pin-file F]
       cachet ca revoke --intermediate [--reason R] [--passphrase-file F | --pin-file F]

Revokes a certificate this CA issued and publishes a new CRL at once; the OCSP responder answers
"revoked" from then on.

With --intermediate (or the intermediate's serial), the root revokes the issuing intermediate CA:
the root's CRL (served at /root.crl, where the intermediate's CRL distribution point points) lists
it, the OCSP responder answers "revoked" for it (signed by the root), every certificate it issued
fails validation from then on, and this CA issues no more certificates. The root itself cannot be
revoked.

Options:
  --reason R           ${Object.keys(REASON_CODES).join(', ')} (default unspecified)
  --intermediate       revoke the issuing intermediate CA (signed with the root key)
  --passphrase-file F  the CA passphrase (else $CACHET_CA_PASSPHRASE, else a prompt)
  --pin-file F         for a CA whose keys are on a token: its PIN (else $CACHET_TOKEN_PIN, else a prompt)
  --json               print the revoked entry as JSON

Exit statuses: 0 revoked · 1 unknown serial · 5 already revoked · 2 usage · 4 passphrase or PIN ·
7 the root cannot be revoked`;

const options = {
  reason: { type: 'string' },
  intermediate: { type: 'boolean' },
  ...CA_SECRET_OPTIONS,
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    if (values.intermediate ? positionals.length > 0 : positionals.length !== 1) {
      throw new CachetError('ERR_USAGE', 'give exactly one serial number (cachet ca revoke SERIAL --reason R), or --intermediate');
    }
    const reason = parseReason(values.reason ?? 'unspecified');
    const store = caStore(context);
    const target = values.intermediate ? 'issuing' : await classifySerial(store, positionals[0]!);
    if (target === 'root') throw rootRevocationRefused();
    if (target === 'issuing') {
      const { serial, settings } = await withCaUnlock(values, context, async (unlock) => revokeIntermediate(store, await store.loadKeyPair('root', unlock), reason, new Date(), caActor(context)));
      if (values.json) context.stdout.write(`${JSON.stringify({ serial, subject: `${settings.name} Issuing CA`, intermediate: true, status: 'revoked', revokedAt: settings.issuingRevocation?.revokedAt, reason })}\n`);
      else context.stdout.write(`revoked the issuing CA ${serial} for ${reason}; the root's CRL lists it, and this CA issues no more certificates\n`);
      return 0;
    }
    const entry = await withCaUnlock(values, context, async (unlock) => revokeCertificate(store, await caIssuer(store, unlock), positionals[0]!, reason, new Date(), caActor(context)));
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
