/**
 * cachet cert renew [--as ADDRESS] [--days N] [--passphrase-file F | --pin-file F] [--json]
 */
import { join, resolve } from 'node:path';
import { renewTokenCertificates } from '../../../use-cases/token-renewal.js';
import { DEFAULT_PKCS11_MODULE, Pkcs11Token } from '../../../adapters/keys/pkcs11/token.js';
import { TOKEN_PIN_ENV } from '../../../adapters/keys/key-source.js';
import { readSecret } from '../secrets.js';
import { certificateSourceOf } from '../../../use-cases/certificate-source.js';
import { renewOwnCertificates, type RenewalOutcome } from '../../../use-cases/renewal.js';
import { CachetError } from '../../../errors.js';
import { loadEffectivePolicy } from '../../../adapters/policy/policy.js';
import { parseCommandArgs, wholeNumberOption } from '../args.js';
import type { CliCommand } from '../context.js';
import { personalContext } from '../personal-home.js';
import { cachetHome } from '../trust.js';
import { openUserStore } from '../vault-passphrase.js';

const help = `usage: cachet cert renew [--as ADDRESS] [--days N] [--passphrase-file F | --pin-file F] [--json]

Renews your certificates before they expire. For each active credential that expires within the
policy's renewDaysBefore days (default 30; --days N to renew earlier), Cachet makes a new key pair
of the same kind, keeps it encrypted in your vault, and leaves a renewal request (PKCS#10, signed
with the new key) for your administrator ("cachet ca requests", "cachet ca approve"). Run it again
once approved: the new certificate is installed as the active one for its role. Your old encryption
key stays in the vault (inactive), so mail encrypted to it still opens; your next signed message
carries the new signing certificate, which is how your correspondents learn it.
With the derivedCredentials source (your keys on a PKCS#11 token) the new key pair is made ON the
token, the token signs the request, and the approved certificate is written onto the token beside
it; the old key stays there for old mail. Keys in the shared vault cannot be renewed from here (the
vault's service takes no new key): the command says so (exit 7).

Options:
  --as ADDRESS         the mail user whose certificates to renew
  --days N             renew what expires within N days (default: the policy's renewDaysBefore)
  --passphrase-file F  your vault's passphrase (else $CACHET_VAULT_PASSPHRASE, else a prompt)
  --pin-file F         with the derivedCredentials source: your token's PIN (else $CACHET_TOKEN_PIN,
                       else a prompt)
  --json               {"renewals": [...]}: each credential with its action (not-due, requested,
                       waiting, installed, rejected)

Exit statuses: 0 done (nothing due, requested, or installed) · 1 a request was rejected · 2 usage ·
4 wrong passphrase or PIN · 7 keys in the shared vault (policy)`;

const options = {
  as: { type: 'string' },
  days: { type: 'string' },
  'passphrase-file': { type: 'string' },
  'pin-file': { type: 'string' },
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
    const { source, token: tokenLocation } = certificateSourceOf(policy);
    if (source === 'sharedVault') {
      throw new CachetError('ERR_POLICY_FORBIDS', 'your keys are in the shared vault, which an app cannot put a new key into (its service only signs and decrypts with the keys it holds): renew on the machine that holds the vault, or ask your administrator ("cachet ca renew")');
    }
    const daysBefore = wholeNumberOption(values.days, 'days', 'days') ?? (policy.get('renewDaysBefore') as number);
    const caDirectory = join(orgHome, 'ca');
    let renewals: RenewalOutcome[];
    if (source === 'derivedCredentials') {
      const pin = await readSecret({ file: values['pin-file'] === undefined ? undefined : resolve(context.cwd, values['pin-file']), envVar: TOKEN_PIN_ENV, promptLabel: 'PIN of your token' }, context);
      const token = Pkcs11Token.open({ module: tokenLocation.module ?? DEFAULT_PKCS11_MODULE, pin, ...(tokenLocation.tokenLabel ? { tokenLabel: tokenLocation.tokenLabel } : {}) });
      try {
        renewals = await renewTokenCertificates(token, { caDirectory, daysBefore, stateFile: join(cachetHome(personal), 'token-renewals.json') });
      } finally {
        token.close();
      }
    } else {
      const store = await openUserStore(personal, { passphraseFile: values['passphrase-file'] });
      renewals = await renewOwnCertificates(store, { caDirectory, daysBefore });
    }
    if (values.json) context.stdout.write(`${JSON.stringify({ renewals }, null, 2)}\n`);
    else context.stdout.write(renewals.length === 0 ? 'you have no certificate to renew\n' : `${renewals.map(line).join('\n')}\n`);
    return renewals.some((r) => r.action === 'rejected') ? 1 : 0;
  },
};

export default command;
