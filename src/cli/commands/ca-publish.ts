/**
 * cachet ca publish --email E [--ldap-url … --base-dn … --bind-dn … --bind-password-file …] [--replace]
 */
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { CachetError } from '../../engine/errors.js';
import { pemDecodeAll } from '../../ca/ca-store.js';
import { publishCertificates } from '../../ca/publish.js';
import { checkMailbox } from '../../ca/issue.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { readSecret } from '../secrets.js';
import { caActor, caStore, inputPath } from './ca-support.js';
import { markPublished, publishableCertificates } from '../../ca/records.js';
import { directoryFromPolicy } from '../../directory/policy-directory.js';
import { loadEffectivePolicy } from '../../policy/policy.js';
import { cachetHome } from '../trust.js';

const help = `usage: cachet ca publish --email E [--ldap-url URL] [--base-dn DN] [--bind-dn DN] [--bind-password-file F] [--replace]

Writes the valid (not revoked, not expired) certificates this CA issued for E, and that reached E
("cachet ca distribute", or E's own certificate request), to the userCertificate;binary attribute of
the directory entry whose mail is E: a correspondent never encrypts to a key its owner does not
hold yet. Certificates not yet delivered are named and left out. By default they are added to what
the entry holds; with --replace the attribute holds exactly these certificates afterwards.

Options:
  --email E                 the mailbox
  --ldap-url URL            ldap:// or ldaps:// (else $CACHET_LDAP_URL, else the policy's ldapUrl)
  --base-dn DN              where to search for the entry (else $CACHET_LDAP_BASE_DN, else the
                            policy's ldapBaseDn); the policy's ldapStartTls and ldapTlsCaFile apply
                            to its directory too
  --bind-dn DN              who writes (else $CACHET_LDAP_BIND_DN)
  --bind-password-file F    the bind password (else $CACHET_LDAP_PASSWORD, else a prompt)
  --starttls                upgrade ldap:// with StartTLS before binding
  --tls-ca FILE             CA certificate(s) for the directory's TLS certificate
  --cert FILE               publish this certificate (PEM/DER) instead of the CA's records
  --replace                 replace the attribute instead of adding to it
  --json                    print the result as JSON

Exit statuses: 0 published · 1 no entry or refused · 2 usage · 4 password · 6 directory unreachable`;

const options = {
  email: { type: 'string' },
  'ldap-url': { type: 'string' },
  'base-dn': { type: 'string' },
  'bind-dn': { type: 'string' },
  'bind-password-file': { type: 'string' },
  starttls: { type: 'boolean' },
  'tls-ca': { type: 'string' },
  cert: { type: 'string', multiple: true },
  replace: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    if (!values.email) throw new CachetError('ERR_USAGE', 'the option --email is required');
    const email = checkMailbox(values.email);
    // Without a directory named here, the one the organisation's policy names (where lookups search).
    const fromPolicy =
      values['ldap-url'] ?? context.env.CACHET_LDAP_URL
        ? undefined
        : await directoryFromPolicy(await loadEffectivePolicy({ home: cachetHome(context), policyFile: context.env.CACHET_POLICY }), { home: cachetHome(context) });
    const url = values['ldap-url'] ?? context.env.CACHET_LDAP_URL ?? fromPolicy?.url;
    const baseDn = values['base-dn'] ?? context.env.CACHET_LDAP_BASE_DN ?? fromPolicy?.baseDn;
    if (!url) throw new CachetError('ERR_USAGE', 'give the directory with --ldap-url (or set CACHET_LDAP_URL, or ldapUrl in the policy)');
    if (!baseDn) throw new CachetError('ERR_USAGE', 'give the search base with --base-dn (or set CACHET_LDAP_BASE_DN)');
    const bindDn = values['bind-dn'] ?? context.env.CACHET_LDAP_BIND_DN;
    let certificates: Uint8Array[];
    let serials: string[] = [];
    let undelivered: string[] = [];
    const store = caStore(context);
    if (values.cert && values.cert.length > 0) {
      certificates = [];
      for (const file of values.cert) certificates.push(...pemDecodeAll(await readFile(inputPath(file, context)), 'CERTIFICATE'));
    } else {
      const { publish, undelivered: waiting } = await publishableCertificates(store, email);
      undelivered = waiting.map((r) => r.serial);
      if (publish.length === 0 && waiting.length > 0) {
        throw new CachetError('ERR_CERT_NOT_FOUND', `the valid certificates for ${email} (${undelivered.join(', ')}) have not been delivered to ${email} yet; send them with "cachet ca distribute" first`, { details: { email, undelivered } });
      }
      certificates = publish.map((r) => new Uint8Array(Buffer.from(r.certificate, 'base64')));
      serials = publish.map((r) => r.serial);
    }
    for (const der of certificates) {
      try {
        new X509Certificate(der);
      } catch (error) {
        throw new CachetError('ERR_CERT_MALFORMED', 'a certificate to publish could not be read', { cause: error });
      }
    }
    const bindPassword = bindDn
      ? await readSecret({ file: values['bind-password-file'] === undefined ? undefined : inputPath(values['bind-password-file'], context), envVar: 'CACHET_LDAP_PASSWORD', promptLabel: `Password for ${bindDn}` }, context)
      : undefined;
    const tlsCa = values['tls-ca'] ? await readFile(inputPath(values['tls-ca'], context)) : fromPolicy?.tlsCa;
    const result = await publishCertificates({
      url,
      baseDn,
      ...(bindDn ? { bindDn, bindPassword: bindPassword ?? '' } : {}),
      ...(values.starttls || fromPolicy?.startTls ? { startTls: true } : {}),
      ...(tlsCa ? { tls: { ca: tlsCa } } : {}),
    }, email, certificates, { replace: values.replace ?? false });
    if (serials.length > 0) await markPublished(store, serials, result.dn, caActor(context));
    if (values.json) context.stdout.write(`${JSON.stringify(undelivered.length > 0 ? { ...result, undelivered } : result)}\n`);
    else {
      context.stdout.write(`published ${result.added} certificate(s) to ${result.dn} (it now holds ${result.total})\n`);
      if (undelivered.length > 0) context.stdout.write(`not published, not delivered yet: ${undelivered.join(', ')}\n`);
    }
    return 0;
  },
};

export default command;
