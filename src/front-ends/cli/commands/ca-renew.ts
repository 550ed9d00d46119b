/**
 * cachet ca renew (SERIAL… | --expiring DAYS) --out-dir DIR --passwords-out FILE (--smtp-url URL | --local | --no-mail)
 */
import type { BulkRequest } from '../../../adapters/ca/bulk-issue.js';
import { normaliseSerial } from '../../../adapters/ca/ca-store.js';
import { listRecords, type CertificateRecord } from '../../../adapters/ca/records.js';
import { CachetError } from '../../../errors.js';
import { parseCommandArgs, wholeNumberOption } from '../args.js';
import type { CliCommand } from '../context.js';
import { BULK_OUTPUT_OPTIONS, runBulk } from './ca-issue-bulk.js';
import { caStore } from './ca-support.js';

const help = `usage: cachet ca renew (SERIAL... | --expiring DAYS) --out-dir DIR --passwords-out FILE
                       (--smtp-url URL … | --local | --no-mail) [--key TYPE] [--legacy] [--json]

Renews in bulk the certificates whose keys this CA made ("cachet ca issue --email", bulk issuing):
each given serial, or every valid certificate that expires within DAYS days and was not renewed
yet. Each gets a successor from the same template with a NEW key pair, in a PKCS#12 file under one
new random password per user, mailed as bulk issuing does (one mail per user, the passwords in the
0600 --passwords-out file, never in the mail). The old certificate stays valid until it expires, so
the user keeps both keys and old mail still opens. Certificates whose owner holds the key (issued
from a request) are refused here: their owner renews with "cachet cert renew".

Exit statuses: 0 every certificate renewed (and mailed) · 1 some refused or not mailed · 2 usage`;

const options = {
  expiring: { type: 'string' },
  ...BULK_OUTPUT_OPTIONS,
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    if ((values.expiring === undefined) === (positionals.length === 0)) throw new CachetError('ERR_USAGE', 'give the serials to renew, or --expiring DAYS');
    if (values.template !== undefined) throw new CachetError('ERR_USAGE', 'a renewal keeps the template of the certificate it renews: --template does not apply');
    const expiring = wholeNumberOption(values.expiring, 'expiring', 'days');
    const store = caStore(context);
    await store.settings();
    let records: CertificateRecord[];
    if (expiring !== undefined) {
      records = (await listRecords(store, { expiringWithinDays: expiring })).filter((r) => r.renewedBy === undefined);
    } else {
      const wanted = new Set(positionals.map(normaliseSerial));
      records = (await listRecords(store)).filter((r) => wanted.has(r.serial));
      const missing = [...wanted].filter((s) => !records.some((r) => r.serial === s));
      if (missing.length > 0) throw new CachetError('ERR_CERT_NOT_FOUND', `this CA issued no certificate ${missing.join(', ')}`, { details: { serials: missing } });
    }
    const requests: BulkRequest[] = [];
    const refusedUpFront: string[] = [];
    for (const r of records) {
      if (r.state !== 'valid' || r.renewedBy) refusedUpFront.push(`${r.serial} (${r.email}): ${r.renewedBy ? `already renewed by ${r.renewedBy}` : `it is ${r.state}; issue a new certificate instead`}`);
      else if (!r.pfxSha256) refusedUpFront.push(`${r.serial} (${r.email}): its owner holds the key (issued from a request); they renew with "cachet cert renew"`);
      else requests.push({ email: r.email, template: r.template, renews: r.serial, source: `renewal of ${r.serial}` });
    }
    for (const line of refusedUpFront) context.stderr.write(`not renewed: ${line}\n`);
    const status = await runBulk(requests, values, context);
    return refusedUpFront.length > 0 ? 1 : status;
  },
};

export default command;
