/**
 * cachet ca distribute --to E --sign FILE.pfx --enc FILE.pfx [--smtp-url …] [--maildir DIR]
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { CachetError } from '../../../errors.js';
import { cachetHome } from '../../../adapters/ca/ca-store.js';
import { markDelivered } from '../../../adapters/ca/records.js';
import { buildDistributionMail, deliverToMaildir, sendBySmtp, type DistributionFile } from '../../../adapters/ca/distribution-mail.js';
import { checkMailbox } from '../../../adapters/ca/issue.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { caActor, caStore, deliverToLocalUser, inputPath, SMTP_OPTIONS, smtpSettingsFrom, writeOutputFile } from './ca-support.js';

const help = `usage: cachet ca distribute --to E (--sign FILE.pfx | --enc FILE.pfx | --dual FILE.pfx)…
                            (--smtp-url URL | --local | --maildir DIR | --out FILE.eml) [--from F] [--name N]

Builds the distribution mail: the PKCS#12 files attached (application/x-pkcs12) and installation
instructions in the body, then sends it by SMTP, drops it into the user's local mailbox (a local
user of this Cachet home) or a Maildir, or writes it to a file. The PKCS#12 password is never put in this mail: the body tells the user it comes separately.
Once the mail is sent or delivered (not merely written with --out), the certificates in the files this
CA wrote ("cachet ca issue --email") for E are recorded as delivered: "cachet ca publish" publishes
only those.

Options:
  --to E                    the user's mailbox
  --sign FILE               the signing PKCS#12 file
  --enc FILE                the encryption PKCS#12 file
  --dual FILE               a dual-use PKCS#12 file
  --from F                  the sender (default $CACHET_CA_FROM, else ca@ the user's domain)
  --name N                  the user's name, for the greeting
  --smtp-url URL            smtp://host:port (STARTTLS when offered) or smtps://host:port
  --smtp-user U             SMTP user; its password from --smtp-password-file or $CACHET_SMTP_PASSWORD
  --smtp-password-file F
  --smtp-tls-ca FILE        CA certificate(s) for the SMTP server's TLS certificate
  --smtp-require-tls        refuse to send unless the connection is encrypted (STARTTLS)
  --local                   deliver into the INBOX of the local user E of this Cachet home
  --maildir DIR             deliver into this Maildir (its new/ folder)
  --out FILE                write the message (RFC 5322) to FILE
  --json                    print the result as JSON

Exit statuses: 0 sent · 2 usage · 3 file I/O · 6 server unreachable · 1 refused`;

const options = {
  to: { type: 'string' },
  sign: { type: 'string' },
  enc: { type: 'string' },
  dual: { type: 'string' },
  from: { type: 'string' },
  name: { type: 'string' },
  ...SMTP_OPTIONS,
  maildir: { type: 'string' },
  local: { type: 'boolean' },
  out: { type: 'string' },
  json: { type: 'boolean' },
} as const;

async function attachment(path: string, role: DistributionFile['role'], cwd: string): Promise<DistributionFile> {
  const full = resolve(cwd, path);
  try {
    return { role, filename: basename(full), content: new Uint8Array(await readFile(full)) };
  } catch (error) {
    throw new CachetError('ERR_INPUT_READ', `cannot read ${path}`, { cause: error, details: { file: path } });
  }
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    if (!values.to) throw new CachetError('ERR_USAGE', 'the option --to is required');
    const to = checkMailbox(values.to);
    const files: DistributionFile[] = [];
    if (values.sign) files.push(await attachment(values.sign, 'signing', context.cwd));
    if (values.enc) files.push(await attachment(values.enc, 'encryption', context.cwd));
    if (values.dual) files.push(await attachment(values.dual, 'dual', context.cwd));
    if (files.length === 0) throw new CachetError('ERR_USAGE', 'give at least one file with --sign, --enc or --dual');
    const targets = [values['smtp-url'], values.maildir, values.out, values.local || undefined].filter((v) => v !== undefined);
    if (targets.length !== 1) throw new CachetError('ERR_USAGE', 'give exactly one of --smtp-url, --local, --maildir or --out');
    const from = values.from ?? context.env.CACHET_CA_FROM ?? `ca@${to.slice(to.lastIndexOf('@') + 1)}`;
    const message = await buildDistributionMail({ from, to, ...(values.name ? { name: values.name } : {}), files });
    let result: { delivered?: string; written?: string; sent?: string };
    if (values.local) {
      result = { delivered: await deliverToLocalUser(cachetHome(context.env), to, message) };
    } else if (values.maildir) {
      result = { delivered: await deliverToMaildir(inputPath(values.maildir, context), message) };
    } else if (values.out) {
      result = { written: await writeOutputFile(values.out, message, context) };
    } else {
      const accepted = await sendBySmtp(await smtpSettingsFrom(values, context), { from, to }, message);
      result = { sent: accepted.join(', ') };
    }
    const via = result.delivered ? `mail to ${result.delivered}` : result.sent !== undefined ? `mail by SMTP (${values['smtp-url']})` : undefined;
    const store = caStore(context);
    const marked = via && (await store.isInitialised()) ? await markDelivered(store, to, files.map((f) => f.content), via, caActor(context)) : [];
    if (values.json) {
      context.stdout.write(`${JSON.stringify({ to, files: files.map((f) => f.filename), ...result, deliveredSerials: marked.map((e) => e.serial) })}\n`);
    } else {
      context.stdout.write(result.delivered ? `delivered to ${result.delivered}\n` : result.written ? `written to ${result.written}\n` : `sent to ${result.sent || to}\n`);
      if (marked.length > 0) context.stdout.write(`recorded as delivered: ${marked.map((e) => `${e.serial} (${e.template})`).join(', ')}\n`);
      context.stdout.write('Remember: give the PKCS#12 password to the user through another channel.\n');
    }
    return 0;
  },
};

export default command;
