/** cachet read ID — decrypt, verify and show a message with a status the user can trust. */
import { mkdir } from 'node:fs/promises';
import { CachetError } from '../../../errors.js';
import { readMessage } from '../../../use-cases/read.js';
import { saveAttachment } from '../attachment-files.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { openUserSession, USER_OPTIONS } from '../user-session.js';
import { exitStatusForReport } from './open.js';
import { normaliseAddress, type OpenReport } from '../../../engine/smime/open.js';
import { oneLine } from '../terminal-text.js';
import { folderHolding } from '../message-options.js';

const STATUS_TEXT: Record<string, string> = {
  valid: 'SIGNED — signature valid and trusted',
  invalid: 'SIGNATURE INVALID — the message was changed after signing, or forged',
  untrusted: 'signed, but NOT TRUSTED',
  mismatch: 'signed, but NOT BY THE SENDER shown',
  'partially-signed': 'PARTIALLY SIGNED — only part of it is covered by a signature',
  'not-signed': 'not signed',
};

/** The From address a trusted signer proved (status valid): named by the status, not the display name. */
function verifiedSender(report: OpenReport): string | undefined {
  const [from] = report.from;
  return from !== undefined && report.signers.some((s) => s.email.some((e) => normaliseAddress(e) === from)) ? from : undefined;
}

function statusLine(report: OpenReport): string {
  const sender = report.status === 'valid' ? verifiedSender(report) : undefined;
  if (sender) return `SIGNED by ${sender} — signature valid and trusted`;
  return STATUS_TEXT[report.status] ?? report.status;
}

const command: CliCommand = {
  help: `usage: cachet read ID [--folder F] [--json] [--save-attachments DIR] [--as USER] [--passphrase-file F]

Decrypts with every encryption key you hold (old ones too), verifies against your trusted roots, and
shows the same status as "cachet open": valid, invalid, untrusted, mismatch, partially-signed or
not-signed. The sender's certificates are added to your address book when the status is valid.
Without --folder the message is the INBOX's with that id, else the one other folder's holding it (an
IMAP id is unique only within its folder: name the folder when several hold it).
Exit statuses as "cachet open".`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, { ...USER_OPTIONS, folder: { type: 'string' }, json: { type: 'boolean' }, 'save-attachments': { type: 'string' } }, { positionals: true });
    const [id] = positionals;
    if (!id) throw new CachetError('ERR_USAGE', 'usage: cachet read ID');
    const session = await openUserSession(context, { as: values.as, passphraseFile: values['passphrase-file'], pinFile: values['pin-file'] });
    try {
      const folder = await folderHolding(session.user.mailbox, id, values);
      const saveTo = values['save-attachments'];
      if (saveTo) await mkdir(saveTo, { recursive: true });
      /** Where each attachment was saved, by index (its name may differ from the sender's: see attachment-files.ts). */
      const savedAs = new Map<number, string>();
      const result = await readMessage(
        folder,
        id,
        { user: session.user, store: () => session.store(), validator: session.validator },
        saveTo ? { attachments: async (a, content) => void savedAs.set(a.index, await saveAttachment(saveTo, a, content)) } : {},
      );
      const { report } = result;
      const envelope = report.layers.find((l): l is Extract<typeof l, { kind: 'encrypted' }> => l.kind === 'encrypted');
      if (values.json) {
        context.stdout.write(`${JSON.stringify({ ...report, id, folder, text: result.text, html: result.html, ...(result.partiallySigned ? { partiallySigned: result.partiallySigned } : {}), attachments: result.attachments.map((a) => ({ ...a, ...(savedAs.has(a.index) ? { savedAs: savedAs.get(a.index) } : {}) })) })}\n`);
      } else {
        // Every value from the message is shown on its own line, its control characters visible
        // (terminal-text.ts); a field the signature does not cover says so on its line.
        const unsigned = new Set(report.unsignedHeaders);
        const header = (label: string, field: string, value: string | null) =>
          `${label.padEnd(11)}${oneLine(value ?? '')}${unsigned.has(field) && value ? '   [NOT COVERED BY THE SIGNATURE]' : ''}`;
        const sender = report.status === 'valid' ? verifiedSender(report) : undefined;
        const lines = [
          `Status:    ${statusLine(report)}`,
          `Encrypted: ${envelope ? `yes (${envelope.contentEncryption}${report.unauthenticatedEncryption ? ', UNAUTHENTICATED: could have been changed' : ''})` : 'no'}`,
          ...report.signers.map((s) => `Signer:    ${oneLine(s.email[0] ?? s.subject)} — ${s.valid ? 'signature valid' : 'signature INVALID'}, ${s.trusted ? 'trusted' : 'not trusted'}${s.error ? ` (${oneLine(s.error.message)})` : ''}`),
          ...report.warnings.map((w) => `Warning:   ${oneLine(w)}`),
          ...report.headers.differences.map((d) => `Warning:   the ${d.field} was changed outside the signature ("${oneLine(d.outer ?? '')}"); the protected one is shown`),
          ...(sender ? [`Sender:    ${sender} (verified by the signature)`] : []),
          header('From:', 'from', report.headers.from),
          header('To:', 'to', report.headers.to),
          ...(report.headers.cc ? [header('Cc:', 'cc', report.headers.cc)] : []),
          // Where "cachet reply" answers (use-cases/reply-all.ts), so that a reply elsewhere is no surprise.
          ...(report.headers.replyTo ? [header('Reply-To:', 'reply-to', report.headers.replyTo)] : []),
          header('Subject:', 'subject', report.headers.subject),
          header('Date:', 'date', report.headers.date),
          ...result.attachments.map((a) => `Attached:  ${oneLine(a.filename)} (${oneLine(a.contentType)}, ${a.size} bytes)${savedAs.has(a.index) ? `, saved as ${oneLine(savedAs.get(a.index) ?? '')}` : ''}`),
          // The boundary between Cachet's words and the sender's: nothing below it is Cachet's.
          `${'─'.repeat(8)} message content, as the sender wrote it ${'─'.repeat(8)}`,
          ...(result.partiallySigned
            ? [
                // Never merged: the signed text first, then each part no signature covers, each marked.
                result.partiallySigned.signedText,
                ...result.partiallySigned.unsignedParts.flatMap((part) => [`${'─'.repeat(8)} NOT SIGNED: ${oneLine(part.description)}, not covered by any signature ${'─'.repeat(8)}`, part.text]),
              ]
            : [result.text ?? (result.html ? '(HTML only: open it in the web client)' : '')]),
        ];
        context.stdout.write(`${lines.join('\n')}\n`);
      }
      return exitStatusForReport(report);
    } finally {
      await session.close();
    }
  },
};

export default command;
