/** cachet send — compose, sign and encrypt per settings and policy, and send. */
import { basename, resolve } from 'node:path';
import { CachetError } from '../../../errors.js';
import { sendMessage, type OutgoingAttachment } from '../../../use-cases/send.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { readInputFully } from '../io.js';
import { openUserSession, USER_OPTIONS } from '../user-session.js';
import { progressFor } from '../progress.js';
import { replyContext, type ReplyContext } from '../../../use-cases/folder-listing.js';

const help = `usage: cachet send --to ADDR [--to ADDR]... [--cc ADDR]... [--bcc ADDR]... --subject TEXT
                   (--body-file F | stdin) [--attach FILE]... [--sign | --no-sign]
                   [--encrypt | --no-encrypt] [--send-unencrypted | --leave-out-missing]
                   [--reply-to-id ID] [--as USER]
                   [--passphrase-file F] [--refresh-directory] [--progress]

Signs and encrypts as your settings say (enableSigning, encryptByDefault) unless told otherwise.
Recipients' encryption certificates come from your address book. When one has none, the policy's
group rule decides: block (the default: nothing is sent, and the reason is named), ask (exit 7
with the question; repeat with --send-unencrypted to send in clear to everyone), or send-unencrypted
(sent in clear, with a warning and a record). Whatever the rule, --leave-out-missing sends it
encrypted to those who have a certificate and leaves the others out (of the envelope and the To/Cc
header), naming them on stderr. Bcc recipients each get a separately encrypted copy.
Answers from the directory are cached (a certificate for a day, "none" for a minute); with
--refresh-directory the directory is asked again (for a certificate published a moment ago).
The message is kept in the Outbox until the transport accepts it ("cachet outbox --retry").
With --reply-to-id, a reply to an encrypted message is encrypted by default, and is refused rather than
sent in clear (even with --no-encrypt) unless --send-unencrypted says so.

Exit statuses: 0 sent · 7 refused by the group rule or policy · 6 queued (server unreachable, or a recipient refused by the server) · 2 usage`;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, {
      ...USER_OPTIONS,
      to: { type: 'string', multiple: true },
      cc: { type: 'string', multiple: true },
      bcc: { type: 'string', multiple: true },
      subject: { type: 'string' },
      'body-file': { type: 'string' },
      attach: { type: 'string', multiple: true },
      sign: { type: 'boolean' },
      'no-sign': { type: 'boolean' },
      encrypt: { type: 'boolean' },
      'no-encrypt': { type: 'boolean' },
      'send-unencrypted': { type: 'boolean' },
      'leave-out-missing': { type: 'boolean' },
      json: { type: 'boolean' },
      progress: { type: 'boolean' },
      'reply-to-id': { type: 'string' },
      'refresh-directory': { type: 'boolean' },
    });
    if (values.subject === undefined) throw new CachetError('ERR_USAGE', 'the option --subject is required');
    if (values['send-unencrypted'] && values['leave-out-missing']) throw new CachetError('ERR_USAGE', '--send-unencrypted and --leave-out-missing are two different answers: give one');
    const session = await openUserSession(context, { as: values.as, passphraseFile: values['passphrase-file'], pinFile: values['pin-file'] });
    try {
      const text = (await readInputFully(values['body-file'], context)).toString('utf8');
      const attachments: OutgoingAttachment[] = [];
      const progress = progressFor(context, 'Preparing attachments', values.progress ?? false);
      for (const [index, path] of (values.attach ?? []).entries()) {
        progress.update(index, (values.attach ?? []).length, basename(path));
        // Read from the file while the message is sent, never whole in memory (send.ts opens it first).
        attachments.push({ filename: basename(path), contentType: 'application/octet-stream', path: resolve(context.cwd, path) });
      }
      progress.update(1, 1);
      progress.done(values.attach?.length ? 'Signing, encrypting and sending…' : undefined);
      // Replying to an encrypted message: the reply is encrypted by default, and its quoted text never
      // goes out in clear without --send-unencrypted.
      // A reply also threads: In-Reply-To and References from the original.
      let reply: ReplyContext | null = null;
      if (values['reply-to-id']) {
        const original = await session.user.mailbox.find(values['reply-to-id']);
        if (!original) throw new CachetError('ERR_MAIL_NOT_FOUND', `there is no message ${values['reply-to-id']} to reply to`);
        reply = await replyContext(session.user.mailbox, original.folder, values['reply-to-id']);
      }
      const replyToEncrypted = reply?.encrypted ?? false;
      const threading = reply ? { ...(reply.messageId ? { inReplyTo: reply.messageId } : {}), references: reply.references } : {};
      const sign = values['no-sign'] ? false : values.sign ? true : undefined;
      const encrypt = values['no-encrypt'] ? false : values.encrypt ? true : undefined;
      const outcome = await sendMessage(
        { to: values.to ?? [], cc: values.cc ?? [], bcc: values.bcc ?? [], subject: values.subject, text, attachments, ...(sign === undefined ? {} : { sign }), ...(encrypt === undefined ? {} : { encrypt }), allowUnencrypted: values['send-unencrypted'] ?? false, leaveOutMissing: values['leave-out-missing'] ?? false, replyToEncrypted, ...threading, ...(values['refresh-directory'] ? { refreshDirectory: true } : {}) },
        { user: session.user, policy: session.policy, store: () => session.store(), source: session.source, resolveRecipients: session.resolveRecipients, transport: session.transport },
      );
      if (values.json) context.stdout.write(`${JSON.stringify(outcome)}\n`);
      if (outcome.kind !== 'needs-decision') for (const m of outcome.leftOut) context.stderr.write(`cachet: left out ${m.address}: ${m.reason}\n`);
      if (outcome.kind === 'sent') {
        if (!values.json) context.stdout.write(`sent ${outcome.messageId}${outcome.signed ? ', signed' : ''}${outcome.encrypted ? `, encrypted (${outcome.cipher})` : ', NOT encrypted'}\n`);
        for (const warning of outcome.warnings) context.stderr.write(`warning: ${warning}\n`);
        return 0;
      }
      if (outcome.kind === 'queued') {
        // Per recipient: a mail some already have is not "not sent".
        if (outcome.delivered.length > 0) context.stderr.write(`cachet: sent to ${outcome.delivered.join(', ')}\n`);
        if (outcome.waiting.length > 0) context.stderr.write(`cachet: not delivered yet to ${outcome.waiting.join(', ')}: ${outcome.reason}\n`);
        for (const r of outcome.refused) context.stderr.write(`cachet: refused for ${r.address}: ${r.reason} (kept in the Outbox: cachet outbox --retry, or --delete)\n`);
        for (const warning of outcome.warnings) context.stderr.write(`warning: ${warning}\n`);
        return 6;
      }
      context.stderr.write(`cachet: ${outcome.question}\n${outcome.missing.map((m) => `  ${m.address}: ${m.reason}\n`).join('')}Repeat with --leave-out-missing to send it encrypted to the others, or with --send-unencrypted to send it in clear.\n`);
      return 7;
    } finally {
      await session.close();
    }
  },
};

export default command;
