/**
 * The send path as it was before it streamed (use-cases/send.ts until the "send streams" change),
 * kept here only so that `npm run bench` can print the old peak memory beside the new one in the
 * same run. Faithful for what the bench sends (signed and encrypted to To recipients, delivered
 * locally): the attachment read whole (the old `cachet send --attach`), the composed message, the
 * protected payload, the signed entity and the sealed copy each a whole Buffer, the Outbox and Sent
 * written from that Buffer, and the Outbox copy read back whole for the transport. Not used by Cachet.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { ContentCipher } from '../src/engine/keys.js';
import { signEntity } from '../src/engine/smime/sign.js';
import { encryptEntity } from '../src/engine/smime/encrypt.js';
import { protectHeaders } from '../src/engine/smime/header-protection.js';
import { collectBytes, toByteStream } from '../src/engine/stream-types.js';
import { chosenCredential, signerFrom } from '../src/use-cases/credential-choice.js';
import { chooseAlgorithms } from '../src/use-cases/recipients.js';
import type { SendContext } from '../src/use-cases/send.js';

export interface BufferedSendRequest {
  to: string[];
  subject: string;
  text: string;
  attachmentPath: string;
}

export async function sendBuffered(request: BufferedSendRequest, context: SendContext): Promise<{ messageId: string; cipher: ContentCipher }> {
  const { user, policy } = context;
  const store = typeof context.store === 'function' ? await context.store() : context.store;
  const data = await readFile(request.attachmentPath);
  const choices = await context.resolveRecipients(request.to, {});
  const messageId = `<${randomBytes(12).toString('hex')}@${user.address.split('@')[1]}>`;
  const composer = new MailComposer({
    from: { name: user.name, address: user.address },
    to: request.to,
    subject: request.subject,
    date: new Date(),
    messageId,
    text: request.text,
    attachments: [{ filename: 'data.bin', contentType: 'application/octet-stream', content: Buffer.from(data) }],
  });
  const composed = await new Promise<Buffer>((resolve, reject) => composer.compile().build((error, message) => (error ? reject(error) : resolve(message))));
  // The old protectHeaders returned the payload as one Buffer (header fields + the body copied).
  const protectedPayload = await protectHeaders(toByteStream(composed), { mode: 'cipher', obscureSubject: policy.boolean('obscureSubject') });
  const payload = await collectBytes(protectedPayload.payload);
  const inner = await collectBytes(signEntity(toByteStream(payload), { signers: [await signerFrom(store, policy, context.source, user.address)], mode: 'detached' }));
  const own = await chosenCredential(store, policy, 'encryption', user.address);
  const algorithms = chooseAlgorithms(choices, policy.get('allowedCiphers') as ContentCipher[]);
  const recipients = own ? [...algorithms.recipients, { certificate: own.certificate }] : algorithms.recipients;
  const sealed = Buffer.concat([protectedPayload.outerHeader, await collectBytes(encryptEntity(toByteStream(inner), { recipients, cipher: algorithms.cipher }))]);
  // Outbox, Sent, then the transport from the Outbox copy read whole (Maildir.read is readFile).
  const id = await user.maildir.deliver('Outbox', sealed, { seen: true });
  await user.mailbox.deliver('Sent', sealed, { seen: true });
  await context.transport.deliver({ from: user.address, to: request.to }, await user.maildir.read('Outbox', id));
  await user.maildir.remove('Outbox', id);
  return { messageId, cipher: algorithms.cipher };
}
