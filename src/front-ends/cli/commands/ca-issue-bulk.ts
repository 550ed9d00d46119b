/**
 * cachet ca issue (--from-csv F | --from-ldap-group DN …) --out-dir DIR --passwords-out FILE
 *                 (--smtp-url URL … | --local | --no-mail) [--template T] [--key TYPE] [--legacy]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { issueInBulk, parseBulkCsv, readLdapGroup, type BulkReport, type BulkRequest } from '../../../adapters/ca/bulk-issue.js';
import { cachetHome } from '../../../adapters/ca/ca-store.js';
import { buildDistributionMail, sendBySmtp } from '../../../adapters/ca/distribution-mail.js';
import { parseKeyType } from '../../../adapters/ca/key-pair.js';
import { getTemplate } from '../../../adapters/ca/templates.js';
import { CachetError } from '../../../errors.js';
import { parseCommandArgs, required } from '../args.js';
import type { CliCommand } from '../context.js';
import { CA_SECRET_OPTIONS, caActor, caIssuer, caStore, deliverToLocalUser, directoryTargetFrom, DIRECTORY_OPTIONS, inputPath, SMTP_OPTIONS, smtpSettingsFrom, withCaUnlock, writeOutputFile } from './ca-support.js';

export const BULK_HELP = `       cachet ca issue --from-csv FILE --out-dir DIR --passwords-out FILE (--smtp-url URL | --local | --no-mail) [--template T]
       cachet ca issue --from-ldap-group DN [--ldap-url URL --bind-dn DN --bind-password-file F] --template T --out-dir DIR …

Bulk issuing: for every user of the CSV file (header "mail,name,template"; the template column is
optional with --template) or every member of the LDAP group (groupOfNames member / uniqueMember;
their mail, and displayName or cn), Cachet makes a key pair per template, issues the certificate,
writes one PKCS#12 file per certificate to DIR under one random password per user, and sends each
user ONE distribution mail with their files. The passwords are never in the mails: they go to the
--passwords-out file (CSV "mail,password", mode 0600) for you to pass on through another channel.
A user who cannot be issued (bad mailbox, unknown template, already holding a valid certificate of
that template, a key the template forbids) is refused with the reason, and the others go on.

Bulk options:
  --from-csv FILE          the users, one per line
  --from-ldap-group DN     the users: the members of this group; the directory from --ldap-url
                           (else $CACHET_LDAP_URL, else the policy's ldapUrl), bound with --bind-dn
                           and --bind-password-file (else $CACHET_LDAP_PASSWORD) or anonymous;
                           --starttls and --tls-ca as for "cachet ca publish"
  --out-dir DIR            where the PKCS#12 files are written
  --passwords-out FILE     where the per-user passwords are written (0600)
  --smtp-url URL …         mail each user by SMTP (--smtp-user, --smtp-password-file, --smtp-tls-ca,
                           --smtp-require-tls as for "cachet ca distribute"); --from F the sender
  --local                  deliver into each local user's INBOX of this Cachet home
  --no-mail                only write the files ("cachet ca distribute" later)
  --json                   the report: issued, refused, mailed, notMailed

Exit statuses (bulk): 0 every user issued (and mailed) · 1 some refused or not mailed · 2 usage`;

/** Where a bulk run's files, passwords and mails go (bulk issue and bulk renewal). */
export const BULK_OUTPUT_OPTIONS = {
  'out-dir': { type: 'string' },
  'passwords-out': { type: 'string' },
  template: { type: 'string' },
  key: { type: 'string' },
  legacy: { type: 'boolean' },
  from: { type: 'string' },
  local: { type: 'boolean' },
  'no-mail': { type: 'boolean' },
  ...SMTP_OPTIONS,
  ...CA_SECRET_OPTIONS,
  json: { type: 'boolean' },
} as const;

const options = {
  'from-csv': { type: 'string' },
  'from-ldap-group': { type: 'string' },
  ...DIRECTORY_OPTIONS,
  ...BULK_OUTPUT_OPTIONS,
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof options>>['values'];
type OutputValues = ReturnType<typeof parseCommandArgs<typeof BULK_OUTPUT_OPTIONS>>['values'];
type Context = Parameters<CliCommand['run']>[1];

async function requestsFrom(values: Values, context: Context): Promise<BulkRequest[]> {
  if ((values['from-csv'] === undefined) === (values['from-ldap-group'] === undefined)) throw new CachetError('ERR_USAGE', 'give exactly one of --from-csv FILE and --from-ldap-group DN');
  if (values['from-csv'] !== undefined) {
    let text: string;
    try {
      text = await readFile(inputPath(values['from-csv'], context), 'utf8');
    } catch (error) {
      throw new CachetError('ERR_INPUT_READ', `cannot read ${values['from-csv']}`, { cause: error, details: { file: values['from-csv'] } });
    }
    return parseBulkCsv(text);
  }
  // Members are read by their DNs: no search base is needed.
  return readLdapGroup(await directoryTargetFrom(values, context, { needsBaseDn: false }), values['from-ldap-group']!);
}

function text(report: BulkReport, passwordsFile: string): string {
  const lines = [
    ...report.issued.map((i) => `issued   ${i.email}  ${i.template}  ${i.serial}  until ${i.notAfter.slice(0, 10)}  → ${i.file}`),
    ...report.refused.map((r) => `REFUSED  ${r.email || '(no mail)'}  [${r.source}]  ${r.reason} (${r.code})`),
    ...report.mailed.map((m) => `mailed   ${m.email}  ${m.files.join(', ')}  (${m.via})`),
    ...report.notMailed.map((m) => `NOT MAILED ${m.email}: ${m.reason}`),
    `${report.issued.length} issued, ${report.refused.length} refused, ${report.mailed.length} mailed; the passwords are in ${passwordsFile}: give each user theirs through another channel.`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Issues for the requests, writes the files and the passwords, mails each user, prints the report.
 * @returns the exit status: 0 when everyone was issued (and mailed), 1 otherwise.
 */
export async function runBulk(requests: BulkRequest[] | ((values: OutputValues) => Promise<BulkRequest[]>), values: OutputValues, context: Context): Promise<number> {
  const outDir = inputPath(required(values['out-dir'], 'out-dir'), context);
  const passwordsOut = required(values['passwords-out'], 'passwords-out');
  const targets = [values['smtp-url'], values.local || undefined, values['no-mail'] || undefined].filter((v) => v !== undefined);
  if (targets.length !== 1) throw new CachetError('ERR_USAGE', 'give exactly one of --smtp-url, --local or --no-mail');
  const defaultTemplate = values.template === undefined ? undefined : getTemplate(values.template);
  const keyType = values.key === undefined ? undefined : parseKeyType(values.key);
  const list = typeof requests === 'function' ? await requests(values) : requests;
  const smtp = values['smtp-url'] ? await smtpSettingsFrom(values, context) : undefined;
  const store = caStore(context);
  const home = cachetHome(context.env);
  const report = await withCaUnlock(values, context, async (unlock) => issueInBulk(list, {
    store,
    issuer: await caIssuer(store, unlock),
    ...(defaultTemplate ? { defaultTemplate } : {}),
    ...(keyType ? { keyType } : {}),
    legacy: values.legacy ?? false,
    actor: caActor(context),
    writeFile: (filename, pfx) => writeOutputFile(join(outDir, filename), pfx, context),
    deliver: async (to, name, files) => {
      if (values['no-mail']) throw new CachetError('ERR_USAGE', 'not mailed (--no-mail): send it with "cachet ca distribute"');
      const from = values.from ?? context.env.CACHET_CA_FROM ?? `ca@${to.slice(to.lastIndexOf('@') + 1)}`;
      const message = await buildDistributionMail({ from, to, ...(name ? { name } : {}), files });
      if (smtp) {
        await sendBySmtp(smtp, { from, to }, message);
        return `mail by SMTP (${values['smtp-url']})`;
      }
      return `mail to ${await deliverToLocalUser(home, to, message)}`;
    },
  }));
  const passwords = `mail,password\n${report.passwords.map((p) => `${p.email},${p.password}`).join('\n')}\n`;
  const passwordsFile = await writeOutputFile(passwordsOut, passwords, context, 0o600);
  const { passwords: _kept, ...shown } = report;
  if (values.json) context.stdout.write(`${JSON.stringify({ ...shown, passwordsFile }, null, 2)}\n`);
  else context.stdout.write(text(report, passwordsFile));
  return report.refused.length === 0 && (values['no-mail'] || report.notMailed.length === 0) ? 0 : 1;
}

const command: CliCommand = {
  help: `usage:\n${BULK_HELP}`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    return runBulk(() => requestsFrom(values, context), values, context);
  },
};

export default command;
