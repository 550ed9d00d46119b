/** cachet send — compose, sign and encrypt per settings and policy, and send. */
import { CachetError } from '../../../errors.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { readInputFully } from '../io.js';
import { openUserSession, USER_OPTIONS } from '../user-session.js';
import { replyContext, type ReplyContext } from '../../../use-cases/folder-listing.js';
import { findMessage } from '../../../adapters/mail/mailbox.js';
import { attachedFiles, checkSendValues, SEND_EXIT_STATUSES, SEND_OPTIONS, sendAndReport } from '../send-flow.js';

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
sent in clear (even with --no-encrypt) unless --send-unencrypted says so. "cachet reply" and
"cachet forward" address, quote and attach for you.

${SEND_EXIT_STATUSES}`;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, {
      ...USER_OPTIONS,
      ...SEND_OPTIONS,
      to: { type: 'string', multiple: true },
      subject: { type: 'string' },
      'reply-to-id': { type: 'string' },
    });
    if (values.subject === undefined) throw new CachetError('ERR_USAGE', 'the option --subject is required');
    checkSendValues(values);
    const session = await openUserSession(context, { as: values.as, passphraseFile: values['passphrase-file'], pinFile: values['pin-file'] });
    try {
      const text = (await readInputFully(values['body-file'], context)).toString('utf8');
      const attachments = attachedFiles(values, context);
      // Replying to an encrypted message: the reply is encrypted by default, and its quoted text never
      // goes out in clear without --send-unencrypted.
      // A reply also threads: In-Reply-To and References from the original.
      let reply: ReplyContext | null = null;
      if (values['reply-to-id']) {
        const original = await findMessage(session.user.mailbox, values['reply-to-id']);
        if (!original) throw new CachetError('ERR_MAIL_NOT_FOUND', `there is no message ${values['reply-to-id']} to reply to`);
        reply = await replyContext(session.user.mailbox, original.folder, values['reply-to-id']);
      }
      const threading = reply ? { ...(reply.messageId ? { inReplyTo: reply.messageId } : {}), references: reply.references } : {};
      return await sendAndReport(
        { to: values.to ?? [], cc: values.cc ?? [], bcc: values.bcc ?? [], subject: values.subject, text, attachments, replyToEncrypted: reply?.encrypted ?? false, ...threading },
        values,
        session,
        context,
      );
    } finally {
      await session.close();
    }
  },
};

export default command;
