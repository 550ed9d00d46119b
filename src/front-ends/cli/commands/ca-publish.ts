/**
 * cachet ca publish --email E [--ldap-url … --base-dn … --bind-dn … --bind-password-file …] [--replace]
 */
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { CachetError } from '../../../errors.js';
import { pemDecodeAll } from '../../../adapters/ca/ca-store.js';
import { publishCertificates, publishDelivered, type PublishResult } from '../../../adapters/ca/publish.js';
import { checkMailbox } from '../../../adapters/ca/issue.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { caActor, caStore, directoryTargetFrom, DIRECTORY_OPTIONS, inputPath } from './ca-support.js';

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
  ...DIRECTORY_OPTIONS,
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
    const target = await directoryTargetFrom(values, context);
    let result: PublishResult & { undelivered?: string[] };
    if (values.cert && values.cert.length > 0) {
      const certificates: Uint8Array[] = [];
      for (const file of values.cert) certificates.push(...pemDecodeAll(await readFile(inputPath(file, context)), 'CERTIFICATE'));
      for (const der of certificates) {
        try {
          new X509Certificate(der);
        } catch (error) {
          throw new CachetError('ERR_CERT_MALFORMED', 'a certificate to publish could not be read', { cause: error });
        }
      }
      result = await publishCertificates(target, email, certificates, { replace: values.replace ?? false });
    } else {
      result = await publishDelivered(caStore(context), target, email, caActor(context), { replace: values.replace ?? false });
    }
    const undelivered = result.undelivered ?? [];
    const shown = { dn: result.dn, added: result.added, total: result.total, ...(undelivered.length > 0 ? { undelivered } : {}) };
    if (values.json) context.stdout.write(`${JSON.stringify(shown)}\n`);
    else {
      context.stdout.write(`published ${result.added} certificate(s) to ${result.dn} (it now holds ${result.total})\n`);
      if (undelivered.length > 0) context.stdout.write(`not published, not delivered yet: ${undelivered.join(', ')}\n`);
    }
    return 0;
  },
};

export default command;
