/**
 * cachet ca acme --port P --from ADDR (--local | --smtp-url URL | --maildir-root DIR) [--reply-maildir DIR]
 *                [--template T] [--profile T …] [--host H]
 */
import { join, resolve } from 'node:path';
import { CachetError } from '../../../errors.js';
import { createCertificateValidator } from '../../../engine/pki/create-validator.js';
import { readFile } from 'node:fs/promises';
import { startAcmeServer, MAX_REPLIES_SCANNED, type AcmeMail, type AcmeTls } from '../../../adapters/ca/acme-server.js';
import { deliverToMaildir, sendBySmtp } from '../../../adapters/ca/distribution-mail.js';
import { checkMailbox, issueCertificate } from '../../../adapters/ca/issue.js';
import { generateKeyPairOf } from '../../../adapters/ca/key-pair.js';
import { softwareKey } from '../../../engine/software-key.js';
import { getTemplate } from '../../../adapters/ca/templates.js';
import { Maildir } from '../../../adapters/mail/maildir.js';
import { findUser } from '../../../use-cases/users.js';
import { parseCommandArgs, portOption, required } from '../args.js';
import type { CliCommand, CliContext } from '../context.js';
import { cachetHome } from '../trust.js';
import { CA_SECRET_OPTIONS, caIssuer, caStore, deliverToLocalUser, SMTP_OPTIONS, smtpSettingsFrom, withCaUnlock } from './ca-support.js';
import { dnsResolver } from '../../../adapters/ca/acme-dkim.js';
import { untilStopped } from '../until-stopped.js';

const help = `usage: cachet ca acme --port P --from ADDR (--local | --smtp-url URL | --maildir-root DIR)
                    [--reply-maildir DIR] [--template T] [--profile T …] [--host H]
                    [--dkim-dns-server ADDR …] [--tls-cert F --tls-key F] [--public-url URL]
                    [--passphrase-file F]

Runs the CA's ACME server (RFC 8555) for S/MIME certificates (RFC 8823) until interrupted, over
HTTPS with --tls-cert/--tls-key (SIGHUP reads them again: a renewed certificate needs no restart),
else over plain HTTP (for a TLS proxy in front); its directory is http(s)://HOST:PORT/acme/directory.
An order names one "email" identifier. The CA mails the challenge (Subject "ACME: <token-part1>", From ADDR) the way "cachet ca distribute" mails; the
client answers with a reply from the mailbox being validated, holding the digest of its key
authorization and authenticated (RFC 8823 §3.2) either by an S/MIME signature of a certificate of
that address that this CA issued, or by a DKIM signature of the address's domain (d= the From
domain or a parent of it, covering From, Subject and the whole body; the public key from DNS): so a
mailbox gets its first certificate through its mail server's DKIM signing. Then it finalizes with a
PKCS#10 request and downloads the certificate (PEM chain), recorded as issued and delivered.
Challenge mails are S/MIME-signed with a signing-only certificate for ADDR that the server issues
itself at each start (7 days, recorded in the index; its key lives only in the process).
Accounts and orders (and a challenge waiting for its reply) are kept in the CA directory's acme/:
a restart loses none. Issued certificates and the audit log are the CA's as for every issue.

Options:
  --port P             the TCP port (0: any free port; the URL is printed)
  --host H             the address to listen on (default 127.0.0.1)
  --tls-cert F         serve HTTPS with this PEM certificate (its chain after it) …
  --tls-key F          … and this PEM private key
  --public-url URL     the https://HOST[:PORT] clients reach the server at, which every ACME URL
                       starts with (default the scheme, host and port listened on)
  --from ADDR          the CA's mailbox: challenges come from it and replies go to it
                       (default $CACHET_CA_FROM)
  --local              mail challenges into local users' INBOXes, and read replies from the INBOX of
                       the local user ADDR of this Cachet home
  --smtp-url URL       mail challenges by SMTP (with --smtp-user, --smtp-password-file, --smtp-tls-ca,
                       --smtp-require-tls as for "cachet ca distribute")
  --maildir-root DIR   drop challenges into DIR/<address>/INBOX (a test or a local delivery agent)
  --reply-maildir DIR  the Maildir where replies to ADDR arrive (its INBOX); needed unless --local
  --template T         the template of an order that names no profile (default dual)
  --profile T          a further template an order may name as its "profile" (repeatable)
  --dkim-dns-server A  the DNS server asked for DKIM public keys, IP[:PORT] (repeatable; default
                       the system's resolvers)
  --passphrase-file F  the CA passphrase (else $CACHET_CA_PASSPHRASE, else a prompt)
  --pin-file F         for a CA whose keys are on a token: its PIN (else $CACHET_TOKEN_PIN, else a prompt)

Exit statuses: 0 stopped · 1 no CA · 2 usage (port in use, a TLS pair that does not fit) · 3 TLS files
unreadable · 4 passphrase`;

/** The challenge signer's certificate outlives a running server by a day or so; a restart makes a new one. */
const CHALLENGE_SIGNER_DAYS = 7;

const options = {
  port: { type: 'string' },
  host: { type: 'string' },
  from: { type: 'string' },
  local: { type: 'boolean' },
  'maildir-root': { type: 'string' },
  'reply-maildir': { type: 'string' },
  template: { type: 'string' },
  profile: { type: 'string', multiple: true },
  'dkim-dns-server': { type: 'string', multiple: true },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'public-url': { type: 'string' },
  ...SMTP_OPTIONS,
  ...CA_SECRET_OPTIONS,
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof options>>['values'];

/** How challenges leave and replies arrive, from the options: one way out, one mailbox in. */
async function acmeMail(values: Values, context: CliContext): Promise<AcmeMail> {
  const from = checkMailbox(required(values.from ?? context.env.CACHET_CA_FROM, 'from'));
  const ways = [values.local || undefined, values['smtp-url'], values['maildir-root']].filter((v) => v !== undefined);
  if (ways.length !== 1) throw new CachetError('ERR_USAGE', 'give exactly one of --local, --smtp-url or --maildir-root (how challenges are mailed)');
  const home = cachetHome(context);
  let send: AcmeMail['send'];
  if (values.local) send = async (to, message) => void (await deliverToLocalUser(home, to, message));
  else if (values['maildir-root']) {
    const root = resolve(context.cwd, values['maildir-root']);
    send = async (to, message) => void (await deliverToMaildir(join(root, to, 'INBOX'), message));
  } else {
    const smtp = await smtpSettingsFrom(values, context);
    send = async (to, message) => void (await sendBySmtp(smtp, { from, to }, message));
  }
  let inbox: Maildir;
  if (values['reply-maildir']) inbox = new Maildir(resolve(context.cwd, values['reply-maildir']));
  else if (values.local) {
    const user = await findUser(home, from);
    if (!user) throw new CachetError('ERR_USAGE', `${from} is not a local user of ${home}: add it ("cachet account add") or give --reply-maildir`);
    inbox = user.maildir;
  } else throw new CachetError('ERR_USAGE', 'give --reply-maildir, the Maildir where the replies to --from arrive');
  await inbox.ensure('INBOX');
  return {
    from,
    send,
    replies: async () => {
      const list = (await inbox.list('INBOX')).slice(-MAX_REPLIES_SCANNED);
      return Promise.all(list.map((m) => inbox.read('INBOX', m.id)));
    },
  };
}

function tlsFilesOf(values: Values, context: CliContext): { cert: string; key: string } | undefined {
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) throw new CachetError('ERR_USAGE', '--tls-cert and --tls-key go together: the certificate and its private key');
  return { cert: resolve(context.cwd, cert), key: resolve(context.cwd, key) };
}

async function readTls(files: { cert: string; key: string }): Promise<AcmeTls> {
  try {
    return { cert: await readFile(files.cert), key: await readFile(files.key) };
  } catch (error) {
    throw new CachetError('ERR_INPUT_READ', `cannot read the TLS certificate or key: ${(error as Error).message}`, { cause: error });
  }
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const port = portOption(required(values.port, 'port'), 'port', { anyFreePort: true })!;
    const template = getTemplate(values.template ?? 'dual');
    const templates = (values.profile ?? []).map(getTemplate);
    const mail = await acmeMail(values, context);
    const dkimResolver = dnsResolver(values['dkim-dns-server'] ?? []);
    const tlsFiles = tlsFilesOf(values, context);
    const tls = tlsFiles ? await readTls(tlsFiles) : undefined;
    const store = caStore(context);
    await withCaUnlock(values, context, async (unlock) => {
      const issuer = await caIssuer(store, unlock);
      const root = (await store.chain()).at(-1)!;
      const crl = await store.crl();
      // A reply counts only when signed by a certificate of this CA's, not revoked.
      const validator = createCertificateValidator({ trustAnchors: [root], intermediates: await store.chain(), ...(crl ? { crls: [crl] } : {}), revocation: 'soft-fail' });
      // The challenge mails are S/MIME-signed (RFC 8823 §3.1) with a certificate of the CA's mailbox,
      // issued (and recorded) at each start with a key that lives only in this process.
      const signerKey = await generateKeyPairOf('ec-p256');
      const signerCertificate = await issueCertificate(store, issuer, { template: getTemplate('signing-only'), spki: signerKey.spki, email: mail.from, validityDays: CHALLENGE_SIGNER_DAYS, actor: 'cachet ca acme (challenge signer)' });
      const challengeSigner = { certificate: signerCertificate.certificate, chain: await store.chain(), key: softwareKey(signerKey.privateKey) };
      const running = await startAcmeServer({
        store, issuer, template, templates, mail, validator, port, challengeSigner, dkimResolver,
        ...(tls ? { tls } : {}),
        ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
        host: values.host ?? '127.0.0.1',
        log: (line) => context.stderr.write(`${new Date().toISOString()} ${line}\n`),
      });
      context.stdout.write(`ACME server listening on ${running.url} (directory ${running.directoryUrl}; challenges from ${mail.from})\n`);
      // SIGHUP: the certificate and key are read again (a renewed certificate); a bad pair keeps the old one.
      const onHup = () => void readTls(tlsFiles!).then((material) => {
        running.reloadTls(material);
        context.stderr.write(`${new Date().toISOString()} TLS certificate reloaded from ${tlsFiles!.cert}\n`);
      }).catch((error: unknown) => context.stderr.write(`${new Date().toISOString()} TLS certificate NOT reloaded: ${(error as Error).message}\n`));
      if (tlsFiles) process.on('SIGHUP', onHup);
      try {
        await untilStopped();
      } finally {
        process.off('SIGHUP', onHup);
      }
      await running.close();
    });
    return 0;
  },
};

export default command;
