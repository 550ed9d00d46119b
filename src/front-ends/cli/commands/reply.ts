/** cachet reply ID [--all] [--quote] [--folder F] — answers a message through the send path. */
import { CachetError, isCachetError } from '../../../errors.js';
import { replyContext } from '../../../use-cases/folder-listing.js';
import { readMessage } from '../../../use-cases/read.js';
import { quotedReplyText, replyRecipients, replySubject } from '../../../use-cases/reply-all.js';
import { onlyArgument, parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { readInputFully } from '../io.js';
import { FOLDER_HELP, MESSAGE_OPTIONS, messageFolder } from '../message-options.js';
import { attachedFiles, checkSendValues, SEND_EXIT_STATUSES, SEND_OPTIONS, sendAndReport } from '../send-flow.js';
import { oneLine } from '../terminal-text.js';
import { withUserSession, USER_OPTIONS } from '../user-session.js';

const help = `usage: cachet reply ID [--all] [--quote] [--folder F] [--cc ADDR]... [--bcc ADDR]...
                    (--body-file F | stdin) [--attach FILE]... [--sign | --no-sign]
                    [--encrypt | --no-encrypt] [--send-unencrypted | --leave-out-missing]
                    [--json] [--as USER] [--passphrase-file F] [--refresh-directory]

Replies to the message: to its Reply-To when it has one (RFC 5322 §3.6.2), else to its sender;
with --all, also to its other To recipients (in To) and its Cc recipients (in Cc) — never to you.
The Subject is the original's with "Re: ", the reply threads (In-Reply-To, References), and
--quote adds the original's text, quoted, below yours. The message is opened as "cachet read"
opens it (decrypted, its protected header used). The reply is signed and encrypted exactly as
"cachet send" sends, with the same switches and group rule; a reply to an encrypted message is
encrypted, and never sent in clear unless --send-unencrypted says so.
  ${FOLDER_HELP}

${SEND_EXIT_STATUSES}`;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, { ...USER_OPTIONS, ...SEND_OPTIONS, ...MESSAGE_OPTIONS, all: { type: 'boolean' }, quote: { type: 'boolean' } }, { positionals: true });
    const id = onlyArgument(positionals, 'name the message to reply to: cachet reply ID');
    checkSendValues(values);
    const folder = messageFolder(values);
    return withUserSession(context, { as: values.as, passphraseFile: values['passphrase-file'], pinFile: values['pin-file'] }, async (session) => {
      let original;
      try {
        original = await readMessage(folder, id, { user: session.user, store: () => session.store(), validator: session.validator });
      } catch (error) {
        if (isCachetError(error, 'ERR_MAIL_NOT_FOUND')) throw new CachetError('ERR_MAIL_NOT_FOUND', `there is no message ${id} in ${folder} to reply to`, { cause: error });
        throw error;
      }
      const { headers } = original.report;
      const recipients = replyRecipients(headers, [session.user.address], { all: values.all ?? false });
      if (recipients.to.length === 0) throw new CachetError('ERR_USAGE', 'the message names nobody to reply to but you');
      if (headers.replyTo) {
        // Said, since the reply goes elsewhere than the From shown; and whether the signature vouches for it.
        const covered = !original.report.unsignedHeaders.includes('reply-to') && original.report.status === 'valid';
        context.stderr.write(`cachet: replying to the Reply-To: ${oneLine(headers.replyTo)}${covered ? '' : ' (not covered by a valid signature)'}\n`);
      }
      const typed = (await readInputFully(values['body-file'], context)).toString('utf8');
      const thread = await replyContext(session.user.mailbox, folder, id);
      return await sendAndReport(
        {
          to: recipients.to,
          cc: [...recipients.cc, ...(values.cc ?? [])],
          bcc: values.bcc ?? [],
          subject: replySubject(headers.subject),
          text: values.quote ? quotedReplyText(typed, original) : typed,
          attachments: attachedFiles(values, context),
          // Quoted or not, a reply to encrypted mail never goes out in clear by default (send.ts).
          replyToEncrypted: thread.encrypted,
          ...(thread.messageId ? { inReplyTo: thread.messageId } : {}),
          references: thread.references,
        },
        values,
        session,
        context,
      );
    });
  },
};

export default command;
