/** cachet forward ID --to ADDR… [--as-attachment] [--folder F] — passes a message on through the send path. */
import { CachetError } from '../../../errors.js';
import { forwardedContent, forwardSubject, inlineForwardText } from '../../../use-cases/forward.js';
import { onlyArgument, parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { readInputFully } from '../io.js';
import { FOLDER_HELP, MESSAGE_OPTIONS, messageFolder } from '../message-options.js';
import { attachedFiles, checkSendValues, SEND_EXIT_STATUSES, SEND_OPTIONS, sendAndReport } from '../send-flow.js';
import { withUserSession, USER_OPTIONS } from '../user-session.js';

const help = `usage: cachet forward ID --to ADDR [--to ADDR]... [--cc ADDR]... [--bcc ADDR]...
                      [--as-attachment] [--subject TEXT] [--folder F] [--body-file F | stdin]
                      [--attach FILE]... [--sign | --no-sign] [--encrypt | --no-encrypt]
                      [--send-unencrypted | --leave-out-missing] [--json] [--as USER]
                      [--passphrase-file F] [--refresh-directory]

Forwards the message: inline (the default: your text, then the original's header and text, its
attachments attached again) or --as-attachment (the original whole, as message/rfc822, named after
its Subject). The Subject is the original's with "Fwd: " unless --subject is given. An encrypted
original is forwarded decrypted, so the forward is encrypted to its own recipients under the group
rule, and never sent in clear unless --send-unencrypted says so. Signed and encrypted exactly as
"cachet send" sends, with the same switches.
  ${FOLDER_HELP}

${SEND_EXIT_STATUSES}`;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(
      args,
      { ...USER_OPTIONS, ...SEND_OPTIONS, ...MESSAGE_OPTIONS, to: { type: 'string', multiple: true }, subject: { type: 'string' }, 'as-attachment': { type: 'boolean' } },
      { positionals: true },
    );
    const id = onlyArgument(positionals, 'name the message to forward: cachet forward ID --to ADDR');
    const to = values.to;
    if (!to?.length) throw new CachetError('ERR_USAGE', 'say whom to forward it to: --to ADDR');
    checkSendValues(values);
    const folder = messageFolder(values);
    return withUserSession(context, { as: values.as, passphraseFile: values['passphrase-file'], pinFile: values['pin-file'] }, async (session) => {
      const forwarded = await forwardedContent({ folder, id, mode: values['as-attachment'] ? 'attachment' : 'inline' }, { user: session.user, store: () => session.store(), validator: session.validator });
      const typed = (await readInputFully(values['body-file'], context)).toString('utf8');
      return await sendAndReport(
        {
          to,
          cc: values.cc ?? [],
          bcc: values.bcc ?? [],
          subject: values.subject ?? forwardSubject(forwarded.subject),
          text: inlineForwardText(typed, forwarded),
          attachments: [...attachedFiles(values, context), ...forwarded.attachments],
          // An encrypted original's content is carried decrypted: never in clear without the user's say.
          replyToEncrypted: forwarded.encrypted,
        },
        values,
        session,
        context,
      );
    });
  },
};

export default command;
