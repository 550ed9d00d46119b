/**
 * cachet cert request --acme URL [--email ADDR] [--template T] [--key TYPE] [--as ADDRESS] [--json]
 */
import { resolve } from 'node:path';
import { requestCertificateByAcme, type AcmeRequestOptions } from '../../../use-cases/acme-request.js';
import { DEFAULT_PKCS11_MODULE, Pkcs11Token } from '../../../adapters/keys/pkcs11/token.js';
import { readSecret } from '../secrets.js';
import { certificateSourceOf } from '../../../use-cases/certificate-source.js';
import { parseKeyType } from '../../../adapters/ca/key-pair.js';
import { checkMailbox } from '../../../adapters/ca/issue.js';
import { CachetError } from '../../../errors.js';
import { parseCommandArgs, required, wholeNumberOption } from '../args.js';
import type { CliCommand } from '../context.js';
import { withUserSession } from '../user-session.js';

const help = `usage: cachet cert request --acme URL [--email ADDR] [--template T] [--key TYPE] [--as ADDRESS]
                         [--token-label L [--pkcs11-module PATH] [--user-pin-file F]]
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
  --token-label L      make the key pair ON this PKCS#11 token (sensitive, never extractable); the
                       token signs the request and the certificate is written back onto it beside
                       the key (same CKA_ID), for the derivedCredentials source — not into the vault
  --pkcs11-module PATH the token's PKCS#11 module (default ${DEFAULT_PKCS11_MODULE})
  --user-pin-file F    the token's PIN (else $CACHET_USER_TOKEN_PIN, else a prompt)
  --json               print {"serial", "role", "subject", "notAfter"} (and "token", "id", "label")

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
  'token-label': { type: 'string' },
  'pkcs11-module': { type: 'string' },
  'user-pin-file': { type: 'string' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const directoryUrl = required(values.acme, 'acme');
    const keyType = parseKeyType(values.key ?? 'rsa-2048');
    const timeout = wholeNumberOption(values.timeout, 'timeout', 'seconds', { min: 1 }) ?? 120;
    const tokenLabel = values['token-label'];
    if (tokenLabel === undefined && (values['pkcs11-module'] !== undefined || values['user-pin-file'] !== undefined)) throw new CachetError('ERR_USAGE', '--pkcs11-module and --user-pin-file go with --token-label');
    const result = await withUserSession(context, { as: values.as, passphraseFile: values['passphrase-file'] }, async (session) => {
      const { source } = certificateSourceOf(session.policy);
      const store = await session.store(true);
      if (tokenLabel !== undefined) {
        const pin = await readSecret({ file: values['user-pin-file'] === undefined ? undefined : resolve(context.cwd, values['user-pin-file']), envVar: 'CACHET_USER_TOKEN_PIN', promptLabel: `PIN of the token "${tokenLabel}"` }, context);
        const token = Pkcs11Token.open({ module: values['pkcs11-module'] === undefined ? DEFAULT_PKCS11_MODULE : resolve(context.cwd, values['pkcs11-module']), tokenLabel, pin });
        try {
          return await requestCertificateByAcme({ ...common(session.user.address, session), store, tokenKey: { token } });
        } finally {
          token.close();
        }
      }
      if (source !== 'email') throw new CachetError('ERR_POLICY_FORBIDS', `your keys come from the ${source} source: an ACME request installs into your vault (certificateSource: email)`);
      return requestCertificateByAcme({ ...common(session.user.address, session), store });
    });
    const { credential, onToken } = result;
    const subject = credential?.subject ?? result.subject;
    const notAfter = credential?.notAfter ?? result.notAfter;
    if (values.json) context.stdout.write(`${JSON.stringify({ serial: result.serial, role: result.role, subject, notAfter, ...(onToken ? { token: tokenLabel, id: onToken.id, label: onToken.label } : {}) })}\n`);
    else if (onToken) context.stdout.write(`wrote ${result.role} certificate ${result.serial} for ${result.email.join(', ')} (valid until ${notAfter.slice(0, 10)}) onto the token "${tokenLabel}" beside its key (id ${onToken.id}); the key was made there and never left it\n`);
    else context.stdout.write(`installed ${result.role} certificate ${result.serial} for ${result.email.join(', ')} (valid until ${notAfter.slice(0, 10)})\n`);
    return 0;

    /** What a request needs whatever holds the key. */
    function common(address: string, session: { user: { mailbox: AcmeRequestOptions['mailbox'] }; transport: AcmeRequestOptions['transport']; validator?: AcmeRequestOptions['challengeValidator'] }) {
      return {
        directoryUrl,
        email: checkMailbox(values.email ?? address),
        ...(values.template ? { profile: values.template } : {}),
        keyType,
        mailbox: session.user.mailbox,
        transport: session.transport,
        ...(session.validator ? { challengeValidator: session.validator } : {}),
        timeoutMs: timeout * 1000,
        log: values.json ? undefined : (line: string) => context.stderr.write(`${line}\n`),
      };
    }
  },
};

export default command;
