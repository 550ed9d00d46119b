/**
 * cachet cert renew [--as ADDRESS] [--days N] [--passphrase-file F] [--json]
 */
import { join } from 'node:path';
import { certificateSourceOf } from '../../../use-cases/certificate-source.js';
import { renewOwnCertificates, type RenewalOutcome } from '../../../use-cases/renewal.js';
import { CachetError } from '../../../errors.js';
import { loadEffectivePolicy } from '../../../adapters/policy/policy.js';
import { parseCommandArgs, wholeNumberOption } from '../args.js';
import type { CliCommand } from '../context.js';
import { personalContext } from '../personal-home.js';
import { cachetHome } from '../trust.js';
import { openUserStore } from '../vault-passphrase.js';

const help = `usage: cachet cert renew [--as ADDRESS] [--days N] [--passphrase-file F] [--json]

Renews your certificates before they expire. For each active credential that expires within the
policy's renewDaysBefore days (default 30; --days N to renew earlier), Cachet makes a new key pair
of the same kind, keeps it encrypted in your vault, and leaves a renewal request (PKCS#10, signed
with the new key) for your administrator ("cachet ca requests", "cachet ca approve"). Run it again
once approved: the new certificate is installed as the active one for its role. Your old encryption
key stays in the vault (inactive), so mail encrypted to it still opens; your next signed message
carries the new signing certificate, which is how your correspondents learn it.

Options:
  --as ADDRESS         the mail user whose certificates to renew
  --days N             renew what expires within N days (default: the policy's renewDaysBefore)
  --passphrase-file F  your vault's passphrase (else $CACHET_VAULT_PASSPHRASE, else a prompt)
  --json               {"renewals": [...]}: each credential with its action (not-due, requested,
                       waiting, installed, rejected)

Exit statuses: 0 done (nothing due, requested, or installed) · 1 a request was rejected · 2 usage ·
4 wrong passphrase`;

const options = {
  as: { type: 'string' },
  days: { type: 'string' },
  'passphrase-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

function line(o: RenewalOutcome): string {
  const what = `${o.role} ${o.subject} (until ${o.notAfter.slice(0, 10)})`;
  switch (o.action) {
    case 'not-due': return `${what}: not due yet`;
    case 'requested': return `${what}: renewal requested (${o.requestId}); your administrator approves it, then run "cachet cert renew" again`;
    case 'waiting': return `${what}: waiting for your administrator (${o.requestId})`;
    case 'installed': return `${what}: renewed — ${o.serial} until ${o.newNotAfter?.slice(0, 10)} is now active; the old key stays to read old mail`;
    case 'rejected': return `${what}: the renewal was REJECTED: ${o.reason}`;
  }
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const orgHome = context.env.CACHET_ORG_HOME ?? cachetHome(context);
    const personal = await personalContext(context, values.as);
    const policy = await loadEffectivePolicy({ home: orgHome, settingsHome: personal.env.CACHET_HOME, policyFile: context.env.CACHET_POLICY });
    const { source } = certificateSourceOf(policy);
    if (source !== 'email') throw new CachetError('ERR_POLICY_FORBIDS', `your keys come from the ${source} source: renewal by request is for keys in your vault (certificateSource: email); ask your administrator`);
    const daysBefore = wholeNumberOption(values.days, 'days', 'days') ?? (policy.get('renewDaysBefore') as number);
    const store = await openUserStore(personal, { passphraseFile: values['passphrase-file'] });
    const renewals = await renewOwnCertificates(store, { caDirectory: join(orgHome, 'ca'), daysBefore });
    if (values.json) context.stdout.write(`${JSON.stringify({ renewals }, null, 2)}\n`);
    else context.stdout.write(renewals.length === 0 ? 'you have no certificate to renew\n' : `${renewals.map(line).join('\n')}\n`);
    return renewals.some((r) => r.action === 'rejected') ? 1 : 0;
  },
};

export default command;
