/** cachet inbox [--folder F] [--json] — the messages of a folder, newest last. */
import { readMimeEntity } from '../../engine/mime/entity-reader.js';
import { decodeEncodedWords } from '../../engine/mime/headers.js';
import { isPkcs7Mime } from '../../engine/smime/pkcs7-entity.js';
import { signedForm } from '../../engine/smime/verify.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { openUserSession, USER_OPTIONS } from '../user-session.js';
import { progressFor } from '../progress.js';
import { oneLine } from '../terminal-text.js';
import { displayAddressList } from '../../engine/mime/addresses.js';

const command: CliCommand = {
  help: `usage: cachet inbox [--folder INBOX|Sent|Drafts|Outbox] [--as USER] [--json] [--progress]

Lists messages with their outer headers only ("encrypted" and "signed" here describe the outer
form; open a message with "cachet read ID" for a verified status).`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, { ...USER_OPTIONS, folder: { type: 'string' }, json: { type: 'boolean' }, progress: { type: 'boolean' } });
    const session = await openUserSession(context, { as: values.as });
    const folder = values.folder ?? 'INBOX';
    const rows = [];
    const messages = await session.user.mailbox.list(folder);
    const progress = progressFor(context, `Syncing ${folder}`, values.progress ?? false);
    // A retry after a lost SMTP acknowledgement can deliver a message twice: the same Message-ID is
    // shown once, so sending is idempotent as the user sees it.
    const seenMessageIds = new Set<string>();
    for (const [index, info] of messages.entries()) {
      progress.update(index + 1, messages.length, `${index + 1}/${messages.length}`);
      const entity = await readMimeEntity(await session.user.mailbox.stream(folder, info.id));
      const messageId = entity.headers.get('message-id');
      if (messageId) {
        if (seenMessageIds.has(messageId)) continue;
        seenMessageIds.add(messageId);
      }
      rows.push({
        id: info.id,
        folder,
        from: displayAddressList(entity.headers.get('from') ?? ''),
        to: decodeEncodedWords(entity.headers.get('to') ?? ''),
        subject: decodeEncodedWords(entity.headers.get('subject') ?? ''),
        date: entity.headers.get('date') ?? info.date.toISOString(),
        encrypted: isPkcs7Mime(entity) && /enveloped/i.test(entity.headers.contentType().params['smime-type'] ?? ''),
        signed: signedForm(entity) !== null,
        seen: info.seen,
        size: info.size,
      });
    }
    progress.done();
    if (values.json) context.stdout.write(`${JSON.stringify({ folder, messages: rows })}\n`);
    else if (rows.length === 0) context.stdout.write(`${folder} is empty\n`);
    else for (const r of rows) context.stdout.write(`${r.seen ? ' ' : '*'} ${r.id}  ${r.encrypted ? 'E' : ' '}${r.signed ? 'S' : ' '} ${oneLine(r.from).padEnd(30).slice(0, 30)}  ${oneLine(r.subject)}\n`);
    return 0;
  },
};

export default command;
