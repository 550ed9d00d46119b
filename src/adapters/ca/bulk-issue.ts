/**
 * Bulk issuing: many users at once, from a CSV file (`mail,name,template`) or from the members of an
 * LDAP group. Per user: a key pair and certificate per template, ONE PKCS#12 file per certificate
 * under ONE fresh random password per user, and ONE distribution mail carrying that user's files.
 * The passwords never travel with the files: they are returned (and written by the CLI to an
 * owner-only file) for the administrator to pass on through another channel, as for one user.
 * What could not be issued is refused with its reason, and the rest goes on.
 */
import { randomBytes } from 'node:crypto';
import { Client, InvalidCredentialsError } from 'ldapts';
import { CachetError, isCachetError } from '../../errors.js';
import type { CaKeyPair, CaStore, KeyType } from './ca-store.js';
import type { DistributionFile } from './distribution-mail.js';
import { exportPfx, loadPfxWriter } from './export.js';
import { checkMailbox, issueCertificate } from './issue.js';
import { generateKeyPairOf, parseKeyType } from './key-pair.js';
import type { DirectoryTarget } from './publish.js';
import { listRecords, markDelivered, recordPfx } from './records.js';
import { markRenewed } from './renewal.js';
import { getTemplate, type CertificateTemplate } from './templates.js';

/** One line of the CSV, or one member of the group. */
export interface BulkRequest {
  email: string;
  name?: string;
  /** A template name (either name); else the command's --template. */
  template?: string;
  /** Where the request came from, for the report: "line 3", or the member's DN. */
  source: string;
  /** A renewal: the serial this certificate succeeds (same mailbox and template). */
  renews?: string;
}

/** A CSV of more rows than this is refused whole: a bulk run is meant for a department, not a dump. */
export const MAX_BULK_ROWS = 10_000;
export const MAX_CSV_BYTES = 4 * 1024 * 1024;

/** Splits one CSV line (RFC 4180: fields in double quotes may hold commas and "" for a quote). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') { fields.push(field.trim()); field = ''; }
    else field += c;
  }
  fields.push(field.trim());
  return fields;
}

/**
 * The rows of a CSV whose header names the columns: `mail` (or `email`), optionally `name` and
 * `template`, in any order; blank lines and lines starting with # are skipped.
 * @throws CachetError ERR_USAGE (no mail column), ERR_LIMIT_EXCEEDED (too large).
 */
export function parseBulkCsv(text: string): BulkRequest[] {
  if (Buffer.byteLength(text) > MAX_CSV_BYTES) throw new CachetError('ERR_LIMIT_EXCEEDED', `the CSV file is larger than ${MAX_CSV_BYTES / 1024 / 1024} MiB`);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (headerIndex < 0) throw new CachetError('ERR_USAGE', 'the CSV file is empty: it needs a header line "mail,name,template" and one line per user');
  const header = csvFields(lines[headerIndex]!).map((h) => h.toLowerCase());
  const mailColumn = header.findIndex((h) => h === 'mail' || h === 'email');
  if (mailColumn < 0) throw new CachetError('ERR_USAGE', `the CSV header "${lines[headerIndex]}" has no "mail" column (expected mail,name,template)`);
  const nameColumn = header.indexOf('name');
  const templateColumn = header.indexOf('template');
  const rows: BulkRequest[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (rows.length >= MAX_BULK_ROWS) throw new CachetError('ERR_LIMIT_EXCEEDED', `the CSV file has more than ${MAX_BULK_ROWS} users; split it`);
    const fields = csvFields(line);
    const name = nameColumn >= 0 ? fields[nameColumn] : undefined;
    const template = templateColumn >= 0 ? fields[templateColumn] : undefined;
    rows.push({ email: fields[mailColumn] ?? '', ...(name ? { name } : {}), ...(template ? { template } : {}), source: `line ${i + 1}` });
  }
  return rows;
}

function first(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The members of a group (groupOfNames `member`, groupOfUniqueNames `uniqueMember`) with their
 * `mail` and name (`displayName`, else `cn`). A member without mail is returned with an empty mail,
 * to be refused by name in the report.
 * @throws CachetError ERR_DIRECTORY_UNREACHABLE, ERR_DIRECTORY_AUTH, ERR_CERT_NOT_FOUND (no such group).
 */
export async function readLdapGroup(target: DirectoryTarget, groupDn: string): Promise<BulkRequest[]> {
  const timeout = target.timeout ?? 10_000;
  const client = new Client({ url: target.url, timeout, connectTimeout: timeout, ...(target.tls ? { tlsOptions: target.tls } : {}) });
  try {
    if (target.startTls) await client.startTLS(target.tls ?? {});
    if (target.bindDn) await client.bind(target.bindDn, target.bindPassword ?? '');
    let group;
    try {
      group = (await client.search(groupDn, { scope: 'base', attributes: ['member', 'uniqueMember'] })).searchEntries[0];
    } catch (error) {
      if ((error as { code?: number }).code === 32) group = undefined; // noSuchObject
      else throw error;
    }
    if (!group) throw new CachetError('ERR_CERT_NOT_FOUND', `there is no group ${groupDn} in the directory ${target.url}`, { details: { group: groupDn } });
    const members = [group['member'], group['uniqueMember']].flatMap((v) => (Array.isArray(v) ? v : v === undefined ? [] : [v])).map(String);
    if (members.length > MAX_BULK_ROWS) throw new CachetError('ERR_LIMIT_EXCEEDED', `the group ${groupDn} has more than ${MAX_BULK_ROWS} members`);
    const requests: BulkRequest[] = [];
    for (const dn of members) {
      const found = await client.search(dn, { scope: 'base', attributes: ['mail', 'displayName', 'cn'] }).catch(() => ({ searchEntries: [] }));
      const entry = found.searchEntries[0];
      const name = first(entry?.['displayName']) ?? first(entry?.['cn']);
      requests.push({ email: first(entry?.['mail']) ?? '', ...(name ? { name } : {}), source: dn });
    }
    return requests;
  } catch (error) {
    if (error instanceof CachetError) throw error;
    if (error instanceof InvalidCredentialsError) throw new CachetError('ERR_DIRECTORY_AUTH', `the directory ${target.url} refused the credentials of ${target.bindDn ?? 'the anonymous user'}`, { cause: error });
    throw new CachetError('ERR_DIRECTORY_UNREACHABLE', `the directory ${target.url} cannot be reached (${(error as Error).message})`, { cause: error, details: { url: target.url } });
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

export interface BulkIssued {
  email: string;
  name?: string;
  template: string;
  serial: string;
  notAfter: string;
  file: string;
  renews?: string;
}

export interface BulkRefused {
  email: string;
  source: string;
  code: string;
  reason: string;
}

export interface BulkReport {
  issued: BulkIssued[];
  refused: BulkRefused[];
  /** Users whose distribution mail was accepted, and how. */
  mailed: Array<{ email: string; via: string; files: string[] }>;
  /** Users whose certificates were issued but whose mail failed: send again with `ca distribute`. */
  notMailed: Array<{ email: string; reason: string }>;
  /** One password per user with files: never in the mail. */
  passwords: Array<{ email: string; password: string }>;
}

export interface BulkOptions {
  store: CaStore;
  issuer: CaKeyPair;
  /** The template of rows that name none. */
  defaultTemplate?: CertificateTemplate;
  /** Overrides each template's default key type. */
  keyType?: KeyType;
  legacy?: boolean;
  /** Writes one PKCS#12 file and returns where it went. */
  writeFile: (filename: string, pfx: Uint8Array) => Promise<string>;
  /** Sends one user's distribution mail; returns how ("mail by SMTP", "mail to …/new/…"). */
  deliver: (to: string, name: string | undefined, files: DistributionFile[]) => Promise<string>;
  actor: string;
  now?: Date;
}

/** A password for a user's PKCS#12 files: 96 random bits, typeable (base64url). */
export function randomPfxPassword(): string {
  return randomBytes(12).toString('base64url');
}

function fileName(email: string, template: CertificateTemplate): string {
  return `${email.replace(/[^A-Za-z0-9._@+-]/g, '_')}-${template.name}.p12`;
}

function refusal(request: BulkRequest, error: unknown): BulkRefused {
  if (isCachetError(error)) return { email: request.email, source: request.source, code: error.code, reason: error.message };
  throw error;
}

/**
 * Issues, exports and mails for every request; one user's refusal never stops the others.
 * Refused: a malformed mailbox, an unknown template, a key the template forbids, the same mailbox
 * and template twice in the run, or a mailbox that already holds a valid certificate of that
 * template (renew it instead: `cachet ca renew`), which makes a run safe to repeat.
 */
export async function issueInBulk(requests: readonly BulkRequest[], options: BulkOptions): Promise<BulkReport> {
  const report: BulkReport = { issued: [], refused: [], mailed: [], notMailed: [], passwords: [] };
  const writePfx = await loadPfxWriter();
  const chain = await options.store.chain();
  const valid = await listRecords(options.store, { status: 'valid' }, options.now);
  const seen = new Set<string>();
  const byUser = new Map<string, { name?: string; files: DistributionFile[]; password: string }>();
  for (const request of requests) {
    try {
      if (request.email === '') throw new CachetError('ERR_USAGE', `${request.source} has no mail address`);
      const email = checkMailbox(request.email);
      const template = request.template ? getTemplate(request.template) : options.defaultTemplate;
      if (!template) throw new CachetError('ERR_USAGE', `${request.source} names no template, and no --template was given`);
      const key = `${email.toLowerCase()} ${template.name}`;
      if (seen.has(key)) throw new CachetError('ERR_CERT_EXISTS', `${email} is asked for twice with the template ${template.name}`);
      seen.add(key);
      const held = valid.find((r) => r.email.toLowerCase() === email.toLowerCase() && r.template === template.name && r.serial !== request.renews && r.renewedBy === undefined);
      if (held) throw new CachetError('ERR_CERT_EXISTS', `${email} already holds a valid ${template.name} certificate (${held.serial}, until ${held.notAfter.slice(0, 10)}); renew it with "cachet ca renew" instead`);
      const user = byUser.get(email.toLowerCase()) ?? { ...(request.name ? { name: request.name } : {}), files: [], password: randomPfxPassword() };
      const keyPair = await generateKeyPairOf(options.keyType ?? parseKeyType(template.defaultKeyType));
      const { certificate, entry } = await issueCertificate(options.store, options.issuer, { template, spki: keyPair.spki, email, actor: options.actor, ...(request.renews ? { renews: request.renews } : {}) });
      if (request.renews) await markRenewed(options.store, request.renews, entry.serial);
      const pfx = await exportPfx({
        template,
        privateKeyPkcs8: new Uint8Array(keyPair.privateKey.export({ type: 'pkcs8', format: 'der' })),
        certificate,
        chain,
        password: user.password,
        friendlyName: `${request.name ?? email} (${template.role})`,
        legacy: options.legacy ?? false,
      }, writePfx);
      const filename = fileName(email, template);
      const file = await options.writeFile(filename, pfx);
      await recordPfx(options.store, entry.serial, pfx);
      user.files.push({ role: template.role, filename, content: pfx });
      byUser.set(email.toLowerCase(), user);
      report.issued.push({ email, ...(request.name ? { name: request.name } : {}), template: template.name, serial: entry.serial, notAfter: entry.notAfter, file, ...(request.renews ? { renews: request.renews } : {}) });
    } catch (error) {
      const refused = refusal(request, error);
      report.refused.push(refused);
      await options.store.audit.append({ who: options.actor, action: 'refuse', email: request.email, details: { source: request.source, code: refused.code, reason: refused.reason } });
    }
  }
  for (const [email, user] of byUser) {
    report.passwords.push({ email, password: user.password });
    try {
      const via = await options.deliver(email, user.name, user.files);
      await markDelivered(options.store, email, user.files.map((f) => f.content), via, options.actor);
      report.mailed.push({ email, via, files: user.files.map((f) => f.filename) });
    } catch (error) {
      if (!isCachetError(error)) throw error;
      report.notMailed.push({ email, reason: error.message });
    }
  }
  return report;
}
