/**
 * cachet ca approve (ID… | --all) [--publish [--ldap-url …]] [--passphrase-file F | --pin-file F] [--json]
 */
import { publishDelivered } from '../../../adapters/ca/publish.js';
import { approveRenewal, listRenewals, type RenewalRequest } from '../../../adapters/ca/renewal.js';
import { CachetError, isCachetError } from '../../../errors.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { CA_SECRET_OPTIONS, caActor, caIssuer, caStore, directoryTargetFrom, DIRECTORY_OPTIONS, withCaUnlock } from './ca-support.js';

const help = `usage: cachet ca approve (ID... | --all) [--publish [--ldap-url URL --base-dn DN --bind-dn DN --bind-password-file F]]
                         [--passphrase-file F | --pin-file F] [--json]

Approves renewal requests ("cachet ca requests"): each is checked against the certificate it renews
(this CA's, the same mailbox, still valid, not revoked, not renewed already; the request's signature
and key as for --csr) and its successor is issued from the same template. The user's client
installs it at its next "cachet cert renew". With --publish, the new certificate is written to the
user's directory entry at once, as "cachet ca publish" does (the old one stays until it expires).
A request that fails its checks stays pending and is reported; reject it with "cachet ca reject".

Exit statuses: 0 every request approved (and published) · 1 some could not be · 2 usage · 4 passphrase · 6 directory unreachable`;

const options = {
  all: { type: 'boolean' },
  publish: { type: 'boolean' },
  ...DIRECTORY_OPTIONS,
  ...CA_SECRET_OPTIONS,
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    const store = caStore(context);
    await store.settings();
    if (values.all === (positionals.length > 0)) throw new CachetError('ERR_USAGE', 'give the request ids to approve, or --all');
    const ids = values.all ? (await listRenewals(store.directory)).filter((r) => r.status === 'pending').map((r) => r.id) : positionals;
    const target = values.publish && ids.length > 0 ? await directoryTargetFrom(values, context) : undefined;
    const who = caActor(context);
    const approved: Array<Omit<RenewalRequest, 'csr' | 'certificate' | 'chain'> & { published?: string; publishError?: { code: string; reason: string } }> = [];
    const failed: Array<{ id: string; code: string; reason: string }> = [];
    await withCaUnlock(values, context, async (unlock) => {
      const issuer = await caIssuer(store, unlock);
      for (const id of ids) {
        try {
          const { csr: _csr, certificate: _certificate, chain: _chain, ...request } = await approveRenewal(store, issuer, id, who);
          approved.push(request);
        } catch (error) {
          if (!isCachetError(error)) throw error;
          failed.push({ id, code: error.code, reason: error.message });
        }
      }
    });
    // One publication per mailbox, after all its renewals: each writes what is delivered and valid.
    for (const email of target ? [...new Set(approved.map((a) => a.email))] : []) {
      try {
        const { dn } = await publishDelivered(store, target!, email, who);
        for (const a of approved) if (a.email === email) a.published = dn;
      } catch (error) {
        if (!isCachetError(error)) throw error;
        for (const a of approved) if (a.email === email) a.publishError = { code: error.code, reason: error.message };
      }
    }
    if (values.json) context.stdout.write(`${JSON.stringify({ approved, failed }, null, 2)}\n`);
    else {
      for (const a of approved) context.stdout.write(`approved ${a.id}: ${a.email} ${a.renews} → ${a.serial}${a.published ? `, published to ${a.published}` : ''}${a.publishError ? `, NOT published: ${a.publishError.reason} (${a.publishError.code})` : ''}\n`);
      for (const f of failed) context.stdout.write(`NOT approved ${f.id}: ${f.reason} (${f.code})\n`);
      if (ids.length === 0) context.stdout.write('no renewal request is waiting\n');
    }
    // An approval whose publication failed is approved (said so), and still not a clean exit.
    return failed.length === 0 && approved.every((a) => !a.publishError) ? 0 : 1;
  },
};

export default command;
