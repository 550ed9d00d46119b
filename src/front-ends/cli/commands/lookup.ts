/**
 * cachet lookup EMAIL... — finds each address's encryption certificate in the directory (and/or the
 * address book, as the policy orders them) and shows the chosen one or why there is none, and the
 * content cipher each recipient reads (from the SMIMECapabilities their signed mail announced).
 */
import { readFile } from 'node:fs/promises';
import { AddressBook } from '../../../adapters/directory/address-book.js';
import { DirectoryCache } from '../../../adapters/directory/cache.js';
import type { DirectoryConfig } from '../../../adapters/directory/ldap-lookup.js';
import { resolveRecipients, type ResolvedRecipient, type SourceOrder } from '../../../adapters/directory/resolve-recipients.js';
import { CachetError } from '../../../errors.js';
import { loadEffectivePolicy } from '../../../adapters/policy/policy.js';
import { parseCommandArgs, wholeNumberOption } from '../args.js';
import type { CliCommand, CliContext } from '../context.js';
import { readSecret } from '../secrets.js';
import { buildValidator, cachetHome, parseAt } from '../trust.js';
import { personalHome } from '../personal-home.js';
import { openUserStore } from '../vault-passphrase.js';
import { directoryFromPolicy } from '../../../adapters/directory/policy-directory.js';
import { announcedCapabilities, chooseAlgorithms, type AnnouncedCapabilities, type RecipientCipher } from '../../../adapters/directory/algorithms.js';
import type { ContentCipher } from '../../../engine/keys.js';
import { oneLine } from '../terminal-text.js';

const help = `usage: cachet lookup EMAIL... [--ldap-url URL --base-dn DN (--anonymous | --bind-dn DN --bind-password-file F)]
                    [--ldap-ca FILE] [--starttls] [--source ldap|addressbook|both] [--trust CA.pem]... [--crl F]...
                    [--timeout MS] [--at TIME] [--no-cache] [--json]

Finds each recipient's encryption certificate. Without --ldap-url the policy's directory settings
(ldapUrl, ldapBaseDn, ldapAnonymous, ldapBindDn, ldapStartTls, ldapTlsCaFile, ldapTimeoutMs,
ldapSizeLimit, publicCertificateSource) apply; a bound directory takes the password kept in your
credential vault by "cachet directory login". A certificate is chosen only if it
is valid now, chains to a trusted CA (your trust store plus --trust), is not revoked, can encrypt, and
names the address; every other candidate is listed with the reason it was set aside. When the directory
cannot be reached, earlier answers are taken from the cache ($CACHET_HOME/directory-cache.json), and
the output says so.

Each recipient's line "cipher" says what a message to them is encrypted with: AES-GCM only when the
SMIMECapabilities of their signed mail (kept in your address book) announced it — or, before any
signed mail, their certificate's SMIMECapabilities extension (RFC 4262) — else AES-256-CBC,
which every client reads (mutt, Apple Mail and Thunderbird ESR cannot read AES-GCM); the last line
says what one message to all of them would use, within the policy's allowedCiphers.

Options:
  --ldap-url URL            ldap://host:port or ldaps://host:port
  --base-dn DN              where to search
  --anonymous               search without binding
  --bind-dn DN              bind as DN; its password from --bind-password-file or CACHET_LDAP_PASSWORD
  --bind-password-file F    file holding the bind password
  --ldap-ca FILE            PEM of the CA of the directory's TLS certificate
  --starttls                upgrade an ldap:// connection with StartTLS
  --source S                ldap, addressbook or both (default: the policy's, or ldap with --ldap-url)
  --trust FILE              a CA certificate to trust besides the trust store (repeatable)
  --crl FILE                a CRL to check revocation against (repeatable)
  --timeout MS              connect and search timeout (default 5000)
  --at TIME                 choose as of this ISO 8601 time instead of now
  --as ADDRESS              act as this mail user (their address book and vault)
  --passphrase-file F       your vault's passphrase, to read the kept directory password
  --no-cache                neither use nor record cached directory answers
  --json                    print {"recipients": [...], "cipher": "..."}

Exit statuses: 0 every address has a certificate · 1 some have none, or the directory refused the
credentials or failed · 2 usage · 3 input · 6 directory unreachable (and nothing cached)`;

const options = {
  'ldap-url': { type: 'string' },
  'base-dn': { type: 'string' },
  anonymous: { type: 'boolean' },
  'bind-dn': { type: 'string' },
  'bind-password-file': { type: 'string' },
  'ldap-ca': { type: 'string' },
  starttls: { type: 'boolean' },
  source: { type: 'string' },
  trust: { type: 'string', multiple: true },
  crl: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  at: { type: 'string' },
  'no-cache': { type: 'boolean' },
  json: { type: 'boolean' },
  as: { type: 'string' },
  'passphrase-file': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof options>>['values'];

async function readCa(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new CachetError('ERR_INPUT_READ', `cannot read the directory CA file ${file}`, { cause: error, details: { file } });
  }
}

/** A bind named on the command line: its password from --bind-password-file, the environment or a
 *  prompt — in place of whatever the policy's directory would bind with. */
function bindWithPasswordFile(bindDn: string, values: Values, context: CliContext): Pick<DirectoryConfig, 'anonymous' | 'bindDn' | 'bindPassword' | 'bindCredentials'> {
  const bindPassword = () => readSecret({ file: values['bind-password-file'], envVar: 'CACHET_LDAP_PASSWORD', promptLabel: `Password for ${bindDn}` }, context);
  return { anonymous: false, bindDn, bindPassword, bindCredentials: undefined };
}

async function directoryConfig(values: Values, context: CliContext): Promise<{ config?: DirectoryConfig; order: SourceOrder }> {
  const source = values.source;
  if (source !== undefined && !['ldap', 'addressbook', 'both'].includes(source)) throw new CachetError('ERR_USAGE', `--source must be ldap, addressbook or both (got "${source}")`);
  const timeoutMs = wholeNumberOption(values.timeout, 'timeout', 'milliseconds', { min: 1 });
  const tlsCa = values['ldap-ca'] ? await readCa(values['ldap-ca']) : undefined;
  if (values['ldap-url'] !== undefined) {
    if (!values['base-dn']) throw new CachetError('ERR_USAGE', 'the option --base-dn is required with --ldap-url');
    if (values.anonymous && values['bind-dn']) throw new CachetError('ERR_USAGE', 'give either --anonymous or --bind-dn, not both');
    if (!values.anonymous && !values['bind-dn']) throw new CachetError('ERR_USAGE', 'give --anonymous or --bind-dn DN with --bind-password-file F');
    const bindDn = values['bind-dn'];
    const config: DirectoryConfig = {
      url: values['ldap-url'],
      baseDn: values['base-dn'],
      anonymous: values.anonymous === true,
      ...(bindDn ? bindWithPasswordFile(bindDn, values, context) : {}),
      ...(values.starttls ? { startTls: true } : {}),
      ...(tlsCa ? { tlsCa } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
    };
    return { config, order: (source as SourceOrder | undefined) ?? 'ldap' };
  }
  const policy = await loadEffectivePolicy({ home: cachetHome(context), policyFile: context.env.CACHET_POLICY });
  const order = (source as SourceOrder | undefined) ?? (policy.string('publicCertificateSource') as SourceOrder);
  const personal = await personalHome(context, values.as);
  const fromPolicy = await directoryFromPolicy(policy, {
    home: cachetHome(context),
    secrets: () => openUserStore({ ...context, env: { ...context.env, CACHET_HOME: personal } }, { passphraseFile: values['passphrase-file'] }),
  });
  if (!fromPolicy) {
    if (order === 'addressbook') return { order };
    throw new CachetError('ERR_USAGE', 'no directory is configured: give --ldap-url URL --base-dn DN (--anonymous | --bind-dn DN), or set ldapUrl and ldapBaseDn in the policy');
  }
  // Flags given beside the policy's directory override its connection details, never its server.
  const bindDn = values['bind-dn'];
  const config: DirectoryConfig = {
    ...fromPolicy,
    ...(bindDn ? bindWithPasswordFile(bindDn, values, context) : {}),
    ...(values.starttls ? { startTls: true } : {}),
    ...(tlsCa ? { tlsCa } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
  };
  return { config, order };
}

interface LookupRow {
  result: ResolvedRecipient;
  capabilities: AnnouncedCapabilities | undefined;
  cipher: RecipientCipher;
}

function toJson({ result: r, capabilities, cipher }: LookupRow): Record<string, unknown> {
  const c = r.certificate;
  return {
    address: r.address,
    certificate: c
      ? { subject: c.info.subject, issuer: c.info.issuer, serialNumber: c.info.serialNumber, fingerprintSha256: c.info.fingerprintSha256, notBefore: c.info.notBefore, notAfter: c.info.notAfter, source: c.source }
      : null,
    reason: r.reason ?? null,
    notes: r.notes,
    rejected: r.rejected.map(({ fingerprint, subject, source, code, reason }) => ({ fingerprint, subject, source, code, reason })),
    keyChange: r.keyChange ?? null,
    capabilities: capabilities ?? null,
    cipher: cipher.cipher,
    cipherReason: cipher.reason,
  };
}

function toText({ result: r, cipher }: LookupRow): string {
  const lines = [`${r.address}:`];
  const c = r.certificate;
  if (c) {
    lines.push(`  certificate  ${oneLine(c.info.subject)}`, `  serial       ${c.info.serialNumber}`, `  SHA-256      ${c.info.fingerprintSha256}`, `  valid        ${c.info.notBefore} to ${c.info.notAfter}`, `  source       ${c.source === 'ldap-cache' ? 'directory (from cache)' : c.source === 'ldap' ? 'directory' : 'address book'}`);
    lines.push(`  cipher       ${cipher.cipher.toUpperCase()}: ${cipher.reason}`);
    for (const note of r.notes) lines.push(`  note: ${note}`);
  } else {
    // The reason already carries the notes ("no certificate: not in the address book"): said once.
    lines.push(`  no certificate: ${(r.reason ?? 'none found').replace(/^no certificate: /, '')}`);
  }
  if (r.keyChange) lines.push(`  ${r.keyChange.message}`);
  for (const x of r.rejected) lines.push(`  rejected ${oneLine(x.subject || x.fingerprint.slice(0, 16))} [${x.source}]: ${oneLine(x.reason)} (${x.code})`);
  return lines.join('\n');
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    if (positionals.length === 0) throw new CachetError('ERR_USAGE', 'give at least one e-mail address to look up');
    const { config, order } = await directoryConfig(values, context);
    const home = await personalHome(context, values.as);
    const useCache = values['no-cache'] !== true;
    // The address book is read for capabilities even when it is not a certificate source.
    const book = await AddressBook.open(home);
    const results = await resolveRecipients(positionals, {
      directory: config,
      sourceOrder: order,
      addressBook: order === 'ldap' ? undefined : book,
      cache: useCache ? await DirectoryCache.open(home) : undefined,
      useCache,
      validator: await buildValidator({ trust: values.trust, crl: values.crl }, context),
      now: parseAt(values.at) ?? new Date(),
    });
    const policy = await loadEffectivePolicy({ home: cachetHome(context), policyFile: context.env.CACHET_POLICY });
    const capabilities = results.map((r) => announcedCapabilities(book.correspondent(r.address)?.capabilities, r.certificate?.der));
    const choice = chooseAlgorithms(
      results.map((r, i) => ({ address: r.address, capabilities: capabilities[i]?.list, source: capabilities[i]?.source })),
      policy.get('allowedCiphers') as ContentCipher[],
    );
    const rows: LookupRow[] = results.map((result, i) => ({ result, capabilities: capabilities[i], cipher: choice.recipients[i]! }));
    const together = rows.some((r) => r.result.certificate) ? choice.contentEncryption : null;
    if (values.json) context.stdout.write(`${JSON.stringify({ recipients: rows.map(toJson), cipher: together }, null, 2)}\n`);
    else context.stdout.write(`${rows.map(toText).join('\n\n')}\n${together ? `\none message to ${results.length === 1 ? 'this recipient' : 'all of them'}: ${together.toUpperCase()}\n` : ''}`);
    if (results.every((r) => r.certificate)) return 0;
    // "Not found" and "could not ask" differ for a script: an address the directory could not be
    // asked about (and nothing cached) is exit 6, as the help says, even when the address book was.
    return results.some((r) => !r.certificate && r.directoryUnreachable) ? 6 : 1;
  },
};

export default command;
