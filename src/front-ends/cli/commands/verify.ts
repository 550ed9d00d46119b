/**
 * cachet verify [--trust CA.pem]... [--certfile FILE]... [--json] [-i IN] [--content FILE] [--at TIME] [-o OUT]
 * Verifies every signature of a signed message or bare CMS signature.
 */
import { createReadStream } from 'node:fs';
import { CachetError } from '../../../errors.js';
import type { CertificateValidator } from '../../../engine/pki/validator.js';
import { peek, type ByteSink } from '../../../engine/stream-types.js';
import { BARE_CMS_SNIFF_BYTES, looksLikeBareCms } from '../../../engine/smime/cms-input.js';
import { verifyCms, verifySignedEntity, type SignedLayerReport } from '../../../engine/smime/verify.js';
import { readMimeEntity } from '../../../engine/mime/entity-reader.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { openInput, openOutput, type PendingOutput } from '../io.js';
import { buildValidator } from '../trust.js';
import { readCertfiles } from '../certificate-files.js';
import { oneLine } from '../terminal-text.js';

const help = `usage: cachet verify [--trust CA.pem]... [--certfile FILE]... [--json] [-i IN] [--content FILE] [--at TIME] [-o OUT]

Verifies every signature of a signed message (multipart/signed or application/pkcs7-mime), or of a
bare CMS signature (DER or PEM; with --content FILE for a detached one).

Options:
  --trust FILE     a trusted root certificate (PEM or DER; repeatable), in addition to the trust
                   store ($CACHET_HOME/trust/, see "cachet trust"). With any anchor, every signer
                   must also chain to one of them.
  --certfile FILE  certificates (PEM, DER or PKCS#7; repeatable) to find a signer's certificate and
                   its chain in, when the message does not carry them (as openssl -certfile)
  --json           print one JSON object: {"valid", "trusted", "signers": [...]}
  -i, --in FILE    input (default stdin)
  --content FILE   the signed content of a bare detached signature
  --at TIME        validate certificates at this time (ISO 8601), as openssl -attime
  -o, --out FILE   write the signed content here, only when the verdict is positive

Exit statuses: 0 every signature valid (and trusted, given anchors) · 1 a signature is invalid ·
5 valid but not trusted · 2 usage · 3 file I/O`;

const options = {
  trust: { type: 'string', multiple: true },
  certfile: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  in: { type: 'string', short: 'i' },
  content: { type: 'string' },
  at: { type: 'string' },
  out: { type: 'string', short: 'o' },
} as const;

function jsonReport(report: SignedLayerReport): unknown {
  return {
    valid: report.valid,
    trusted: report.trusted,
    form: report.form,
    ...(report.verifiedForm ? { verifiedForm: report.verifiedForm } : {}),
    ...(report.error ? { error: report.error } : {}),
    signers: report.signers.map((s) => ({
      email: s.email,
      subject: s.subject,
      valid: s.valid,
      trusted: s.trusted,
      digest: s.digestAlgorithm,
      signatureAlgorithm: s.signatureAlgorithm,
      weakAlgorithm: s.weakAlgorithm,
      signingTime: s.signingTime,
      // What was checked (CRL, OCSP or nothing) and what it said.
      revocation: s.revocation ?? null,
      error: s.error ? { code: s.error.code, message: s.error.message } : null,
      warnings: s.warnings ?? [],
    })),
  };
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    let at: Date | undefined;
    if (values.at !== undefined) {
      at = new Date(values.at);
      if (Number.isNaN(at.getTime())) throw new CachetError('ERR_USAGE', `--at "${values.at}" is not an ISO 8601 time`);
    }
    // The user's trust store counts as well as --trust (cli/trust.ts), as for `cachet open`.
    const validator: CertificateValidator | undefined = await buildValidator({ trust: values.trust }, context);
    const certificates = values.certfile ? await readCertfiles(values.certfile, context) : undefined;
    const verifyOptions = { ...(validator ? { validator } : {}), ...(at ? { at } : {}), ...(certificates ? { certificates } : {}) };

    let output: PendingOutput | undefined;
    const toFile = values.out !== undefined && values.out !== '-';
    // No -o: only the verdict is wanted, and no sink keeps any of the content.
    const sink: ByteSink | undefined = values.out
      ? {
          write: async (chunk) => {
            output ??= await openOutput(values.out, context);
            // write(), not the Writable: it also fails, rather than waits for ever, when stdout's reader is gone.
            const pending = output.write(chunk);
            if (pending) await pending;
          },
          // A file not yet committed can be taken back (stdout cannot): another form of the content follows.
          ...(toFile
            ? {
                restart: async () => {
                  await output?.abort();
                  output = undefined;
                },
              }
            : {}),
        }
      : undefined;
    let report: SignedLayerReport;
    try {
      // The first bytes tell a bare CMS object (DER, PEM or base64) from a MIME message.
      const { head: first, stream: all } = await peek(openInput(values.in, context), BARE_CMS_SNIFF_BYTES);
      if (first.length === 0) throw new CachetError('ERR_INPUT_READ', 'the input is empty');
      if (values.content !== undefined || looksLikeBareCms(first)) {
        const content = values.content !== undefined ? (createReadStream(values.content) as AsyncIterable<Uint8Array>) : undefined;
        report = await verifyCms(all, { ...verifyOptions, ...(content ? { content } : {}) }, sink);
      } else {
        report = await verifySignedEntity(await readMimeEntity(all), sink, verifyOptions);
      }
    } catch (error) {
      await output?.abort();
      throw error;
    }
    const ok = report.valid && (report.trusted === null || report.trusted);
    if (output) {
      if (ok) await output.commit();
      else await output.abort();
    }
    if (values.json) context.stdout.write(`${JSON.stringify(jsonReport(report))}\n`);
    else {
      for (const s of report.signers) {
        const who = oneLine(s.email.length > 0 ? s.email.join(', ') : s.subject);
        const verdict = s.valid ? (s.trusted === false ? 'valid signature, NOT trusted' : s.trusted ? 'valid signature, trusted' : 'valid signature') : 'INVALID signature';
        context.stdout.write(`${verdict}: ${who} (${s.digestAlgorithm}, ${s.signatureAlgorithm}${s.signingTime ? `, signed ${s.signingTime}` : ''})${s.weakAlgorithm ? ' [weak algorithm]' : ''}${s.error ? ` — ${oneLine(s.error.message)}` : ''}\n`);
        for (const warning of s.warnings ?? []) context.stdout.write(`  warning: ${oneLine(warning)}\n`);
      }
      if (report.verifiedForm === 'as-sent') context.stdout.write('  verified over the signed part\'s bytes as sent, not its canonical CRLF form (as AS2 gateways sign binary parts)\n');
    }
    if (!report.valid) {
      const bad = report.signers.find((s) => !s.valid);
      context.stderr.write(`cachet: verification failed: ${oneLine(bad?.error?.message ?? report.error?.message ?? 'the message has no signer')}\n`);
      return 1;
    }
    if (report.trusted === false) {
      const bad = report.signers.find((s) => s.trusted !== true);
      context.stderr.write(`cachet: the signature is valid but not trusted: ${oneLine(bad?.error?.message ?? 'no trusted chain')}\n`);
      return 5;
    }
    return 0;
  },
};

export default command;
