/**
 * cachet cert request --acme URL [--email ADDR] [--template T] [--key TYPE] [--as ADDRESS] [--json]
 */
import { requestCertificateByAcme } from '../../../use-cases/acme-request.js';
import { certificateSourceOf } from '../../../use-cases/certificate-source.js';
import { parseKeyType } from '../../../adapters/ca/key-pair.js';
import { checkMailbox } from '../../../adapters/ca/issue.js';
import { CachetError } from '../../../errors.js';
import { parseCommandArgs, required } from '../args.js';
import type { CliCommand } from '../context.js';
import { withUserSession } from '../user-session.js';

const help = `usage: cachet cert request --acme URL [--email ADDR] [--template T] [--key TYPE] [--as ADDRESS]
                         [--timeout SECONDS] [--passphrase-file F] [--json]

Gets a certificate from an ACME server for S/MIME (RFC 8555 + RFC 8823, e.g. "cachet ca acme"):
makes the key pair (kept encrypted in your vault), opens an ACME account, orders a certificate for
your mailbox, finds the challenge mail in your INBOX (your account's Maildir or IMAP; when you trust
CA roots, only one S/MIME-signed by a trusted certificate of the CA's mailbox), answers it
through your account's transport (RFC 8823 wants the reply authenticated: it is S/MIME-signed with
your current signing certificate for that address; without one — your first certificate — it goes
unsigned and counts only if your mail server DKIM-signs it), sends the PKCS#10 request, and installs
the certificate with the role its key usage gives it (signing, encryption, or both for a dual one),
as "cachet cert import".

Options:
  --acme URL           the ACME directory URL (http://HOST:PORT/acme/directory for "cachet ca acme")
  --email ADDR         the mailbox to certify (default: your address)
  --template T         the template to ask for (the order's profile; default the server's)
  --key TYPE           rsa-2048 (default), rsa-3072, rsa-4096, ec-p256, ec-p384
  --as ADDRESS         the mail user who asks
  --timeout SECONDS    how long to wait for the challenge mail and the server (default 120)
  --passphrase-file F  your vault's passphrase (else $CACHET_VAULT_PASSPHRASE, else a prompt)
  --json               print {"serial", "role", "subject", "notAfter"}

Exit statuses: 0 installed · 1 refused by the server (an unauthenticated reply, with its reason) or
no challenge mail · 2 usage · 4 wrong passphrase · 7 keys not in the vault (policy)`;

const options = {
  acme: { type: 'string' },
  email: { type: 'string' },
  template: { type: 'string' },
  key: { type: 'string' },
  as: { type: 'string' },
  timeout: { type: 'string' },
  'passphrase-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const directoryUrl = required(values.acme, 'acme');
    const keyType = parseKeyType(values.key ?? 'rsa-2048');
    const timeout = values.timeout === undefined ? 120 : Number(values.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) throw new CachetError('ERR_USAGE', `--timeout needs a number of seconds (not "${values.timeout}")`);
    const result = await withUserSession(context, { as: values.as, passphraseFile: values['passphrase-file'] }, async (session) => {
      const { source } = certificateSourceOf(session.policy);
      if (source !== 'email') throw new CachetError('ERR_POLICY_FORBIDS', `your keys come from the ${source} source: an ACME request installs into your vault (certificateSource: email)`);
      return requestCertificateByAcme({
        directoryUrl,
        email: checkMailbox(values.email ?? session.user.address),
        ...(values.template ? { profile: values.template } : {}),
        keyType,
        mailbox: session.user.mailbox,
        transport: session.transport,
        store: await session.store(true),
        ...(session.validator ? { challengeValidator: session.validator } : {}),
        timeoutMs: timeout * 1000,
        log: values.json ? undefined : (line) => context.stderr.write(`${line}\n`),
      });
    });
    const { credential } = result;
    if (values.json) context.stdout.write(`${JSON.stringify({ serial: result.serial, role: credential.role, subject: credential.subject, notAfter: credential.notAfter })}\n`);
    else context.stdout.write(`installed ${credential.role} certificate ${result.serial} for ${credential.email.join(', ')} (valid until ${credential.notAfter.slice(0, 10)})\n`);
    return 0;
  },
};

export default command;
