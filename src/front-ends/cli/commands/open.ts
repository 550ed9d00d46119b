/**
 * cachet open --key FILE.p12... [--password-file F] [--trust CA.pem]... [--crl F]... [--at TIME]
 *             [--json] [-i IN] [-o OUT]
 * The reader's view: unwraps every layer, writes the innermost entity, and gives one verdict.
 */
import { openMessage, type OpenReport } from '../../../engine/smime/open.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { loadDecryptors } from '../credentials.js';
import { OWN_KEY_OPTIONS } from '../own-key-options.js';
import { openInput, sniffInput, writeOutput } from '../io.js';
import { buildValidator, parseAt } from '../trust.js';
import { readCertfiles } from '../certificate-files.js';
import { oneLine } from '../terminal-text.js';

const help = `usage: cachet open [--key FILE.p12]... [--password-file F] [--trust CA.pem]... [--crl FILE]... [--certfile FILE]...
                   [--at TIME] [--json] [-i IN] [-o OUT]

Opens a message as a mail client shows it: decrypts and verifies every S/MIME layer (triple wrap
included; compressed data, RFC 3274, is unpacked but proves nothing), writes the innermost entity to OUT (default stdout; nothing on stdout with --json unless
-o is given) and reports one status:
  valid             signed over the whole message, every signature good, trusted, and the signer is
                    the From address
  invalid           a signature does not verify (the content was changed, or forged)
  untrusted         the signatures verify but a certificate is not trusted (unknown CA, expired,
                    revoked, not for e-mail)
  mismatch          valid and trusted, but signed by someone other than the From address
  partially-signed  only a part inside unsigned content is signed
  not-signed        no signature

Options:
  --key FILE          PKCS#12 file (or PEM key + certificate) to decrypt with; repeatable. Without
                      it, an encrypted message is opened with your own keys (vault, token or shared
                      vault, as the policy says); signed or plain mail never asks for them
  --password-file F   file holding the PKCS#12 password (else $CACHET_PASSWORD, else a prompt)
  --trust FILE        a trusted root (PEM or DER); repeatable; the trust store is used as well
  --crl FILE          a CRL to check revocation against; repeatable
  --certfile FILE     certificates (PEM, DER or PKCS#7; repeatable) to find a signer's certificate and
                      its chain in, when the message does not carry them (as openssl -certfile)
  --at TIME           validate certificates at this ISO 8601 time (as openssl -attime)
  --json              print one JSON object: {"status", "encrypted", "from", "signers", "layers",
                      "valid", "trusted", "headers", "unsignedHeaders", "unauthenticatedEncryption",
                      "signedParts", "unsignedParts", "warnings"}; "unsignedHeaders" names the headers
                      shown that no signature covers
                      "headers" holds the Subject/From/To/Cc/Date shown — the protected ones
                      (RFC 9788 hp=, Thunderbird protected-headers="v1") over the outer ones — and
                      "differences" lists each protected field the outer header contradicts
  -i, --in FILE       input message (default stdin)
  -o, --out FILE      where to write the innermost entity

Input: a whole message (CRLF or LF-only), or a bare CMS object (DER, or PEM CMS/PKCS7). Content
made without MIME (openssl smime without -text) is written with an empty header (a leading blank
line): plain text, as RFC 2045 reads a body without header fields.
"encrypted" is true only when the message root (or the root under a signature) is encrypted; an
encrypted part inside unencrypted content is never decrypted into the view (EFAIL).

Exit statuses: 0 valid, or not-signed with nothing failed (plain, or decrypted) · 1 invalid or
partially-signed, or it cannot be opened (a stable code on stderr, or in --json) · 5 untrusted or
mismatch · 2 usage · 3 file I/O · 4 wrong password. OUT is written only once the verdict is known.`;

const options = {
  key: { type: 'string', multiple: true },
  'password-file': { type: 'string' },
  trust: { type: 'string', multiple: true },
  crl: { type: 'string', multiple: true },
  certfile: { type: 'string', multiple: true },
  at: { type: 'string' },
  json: { type: 'boolean' },
  in: { type: 'string', short: 'i' },
  out: { type: 'string', short: 'o' },
  ...OWN_KEY_OPTIONS,
} as const;

export function exitStatusForReport(report: OpenReport): number {
  switch (report.status) {
    case 'valid':
    case 'not-signed':
      return 0;
    case 'untrusted':
    case 'mismatch':
      return 5;
    default:
      return 1;
  }
}

function describe(report: OpenReport): string {
  const who = report.signers.map((s) => oneLine(s.email[0] ?? s.subject)).join(', ');
  const lines = [`status: ${report.status}`, `encrypted: ${report.encrypted ? 'yes' : 'no'}`];
  if (who) lines.push(`signed by: ${who}`);
  for (const signer of report.signers) if (signer.error) lines.push(`  ${oneLine(signer.email[0] ?? signer.subject)}: ${oneLine(signer.error.message)}`);
  for (const warning of report.warnings) lines.push(`warning: ${oneLine(warning)}`);
  for (const d of report.headers.differences) lines.push(`warning: the ${d.field} was changed outside the signature ("${oneLine(d.outer ?? '')}"); the protected one is "${oneLine(d.protected ?? '')}"`);
  return `${lines.join('\n')}\n`;
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const at = parseAt(values.at);
    // Own keys are opened only when an encrypted layer is met, and kept open until it is decrypted.
    let own: { close(): Promise<void> } | undefined;
    const decryptors = values.key
      ? await loadDecryptors(values.key, values['password-file'], context)
      : async () => {
          // Loaded only for encrypted mail: the key sources bring the PKCS#11 binding and the vault client.
          const { openOwnKeys, ownDecryptors } = await import('../own-keys.js');
          const keys = await openOwnKeys(context, values);
          own = keys;
          return ownDecryptors(keys.store);
        };
    const validator = await buildValidator({ trust: values.trust, crl: values.crl }, context);
    const certificates = values.certfile ? await readCertfiles(values.certfile, context) : undefined;
    let result: Awaited<ReturnType<typeof openMessage>>;
    try {
      // An empty input is a mistake to say (exit 3, as verify and decrypt say it), not a "not-signed" message.
      const { stream } = await sniffInput(openInput(values.in, context));
      result = await openMessage(stream, { decryptors, ...(validator ? { validator } : {}), ...(at ? { at } : {}), ...(certificates ? { certificates } : {}) });
    } finally {
      await own?.close();
    }
    try {
      if (values.out !== undefined || !values.json) {
        // Every output copies what it is given: the content may come in reused memory.
        await writeOutput(values.out, context, result.readContent({ reuse: true }));
      }
      if (values.json) context.stdout.write(`${JSON.stringify(result.report)}\n`);
      else context.stderr.write(describe(result.report));
      return exitStatusForReport(result.report);
    } finally {
      await result.dispose();
    }
  },
};

export default command;
