/**
 * What `cachet send`, `cachet reply` and `cachet forward` share: the switches of the send path
 * (signing, encryption, the answers to the group rule, the directory refresh), the attachments named
 * on the command line, the one call of the send use case, and how its outcome is told — so that a
 * reply or a forward is signed, encrypted and refused exactly as a new message is.
 */
import { basename, resolve } from 'node:path';
import { CachetError } from '../../errors.js';
import { sendMessage, type OutgoingAttachment, type SendRequest } from '../../use-cases/send.js';
import type { OptionSpec, parseCommandArgs } from './args.js';
import type { CliContext } from './context.js';
import { progressFor } from './progress.js';
import type { UserSession } from './user-session.js';

export const SEND_OPTIONS = {
  cc: { type: 'string', multiple: true },
  bcc: { type: 'string', multiple: true },
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
  'refresh-directory': { type: 'boolean' },
} as const satisfies OptionSpec;

/** The parsed values of {@link SEND_OPTIONS} (cc and bcc are the composed message's, not read here). */
export type SendValues = Omit<ReturnType<typeof parseCommandArgs<typeof SEND_OPTIONS>>['values'], 'cc' | 'bcc'>;

/** The exit statuses of every command that sends, for their help texts. */
export const SEND_EXIT_STATUSES = 'Exit statuses: 0 sent · 7 refused by the group rule or policy · 6 queued (server unreachable, or a recipient refused by the server) · 2 usage';

/** @throws CachetError ERR_USAGE for two answers to the group rule at once */
export function checkSendValues(values: SendValues): void {
  if (values['send-unencrypted'] && values['leave-out-missing']) throw new CachetError('ERR_USAGE', '--send-unencrypted and --leave-out-missing are two different answers: give one');
  if (values.sign && values['no-sign']) throw new CachetError('ERR_USAGE', '--sign and --no-sign: give one of the two');
  if (values.encrypt && values['no-encrypt']) throw new CachetError('ERR_USAGE', '--encrypt and --no-encrypt: give one of the two');
}

/** The files named by --attach, read from their files while the message is sent, never whole in memory. */
export function attachedFiles(values: SendValues, context: CliContext): OutgoingAttachment[] {
  const paths = values.attach ?? [];
  const progress = progressFor(context, 'Preparing attachments', values.progress ?? false);
  const attachments = paths.map((path, index) => {
    progress.update(index, paths.length, basename(path));
    return { filename: basename(path), contentType: 'application/octet-stream', path: resolve(context.cwd, path) };
  });
  progress.update(1, 1);
  progress.done(paths.length ? 'Signing, encrypting and sending…' : undefined);
  return attachments;
}

/** The message's addressing and content; the switches come from `values`. */
export type Composed = Pick<SendRequest, 'to' | 'cc' | 'bcc' | 'subject' | 'text' | 'attachments' | 'replyToEncrypted' | 'inReplyTo' | 'references'>;

/** Sends through the one send use case and tells the outcome; resolves to the exit status. */
export async function sendAndReport(composed: Composed, values: SendValues, session: UserSession, context: CliContext): Promise<number> {
  const sign = values['no-sign'] ? false : values.sign ? true : undefined;
  const encrypt = values['no-encrypt'] ? false : values.encrypt ? true : undefined;
  const outcome = await sendMessage(
    {
      ...composed,
      ...(sign === undefined ? {} : { sign }),
      ...(encrypt === undefined ? {} : { encrypt }),
      allowUnencrypted: values['send-unencrypted'] ?? false,
      leaveOutMissing: values['leave-out-missing'] ?? false,
      ...(values['refresh-directory'] ? { refreshDirectory: true } : {}),
    },
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
}
