/**
 * A whole message as the mail adapters take it (a mailbox's deliver, a transport's deliver, the
 * outbox): a small one as bytes, a large one as something read afresh from the start on each use — a
 * spool (engine/spool.ts), a file in the Outbox — so that sending a 100 MB message never holds it
 * whole in memory. Re-readable, not a one-shot stream: local delivery writes one copy per recipient,
 * and a failed SMTP attempt is tried again from the same content.
 */
export type MessageContent = Uint8Array | RereadableMessage;

export interface RereadableMessage {
  /** The message's bytes from the first, each time it is called, in chunks the reader may keep. */
  read(): AsyncIterable<Uint8Array>;
}

/** The content's bytes as a stream, from the start. */
export function messageChunks(content: MessageContent): AsyncIterable<Uint8Array> {
  if (content instanceof Uint8Array) {
    return (async function* () {
      yield content;
    })();
  }
  return content.read();
}

/**
 * The content whole in memory, for the one consumer that needs it so: imapflow's APPEND (the Sent
 * copy of an IMAP account) announces its literal's length from a Buffer and refuses streams.
 */
export async function messageBytes(content: MessageContent): Promise<Buffer> {
  if (content instanceof Uint8Array) return Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  const parts: Buffer[] = [];
  for await (const chunk of content.read()) parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return Buffer.concat(parts);
}
