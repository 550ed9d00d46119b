/** Opens a message as the reader does, with a test key and the test CA as the only anchor. */
import { openMessage, type OpenReport } from '../../src/engine/smime/open.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { softwareKey } from '../../src/engine/software-key.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';
import { certificateDer, pkiBytes, privateKey } from './pki.js';

/**
 * @param options.key the test identity that may decrypt (none: encrypted layers fail)
 * @param options.trust false: no trust anchor at all, so every chain is untrusted
 * @returns the report and the released content (UTF-8); the result is disposed of
 */
export async function openTestMessage(message: Buffer, options: { key?: string; trust?: boolean } = {}): Promise<{ report: OpenReport; content: string }> {
  const result = await openMessage(toByteStream(message), {
    decryptors: options.key ? [{ certificate: certificateDer(options.key), key: softwareKey(privateKey(options.key)) }] : [],
    ...(options.trust === false ? {} : { validator: createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')] }) }),
  });
  try {
    return { report: result.report, content: (await collectBytes(result.content)).toString('utf8') };
  } finally {
    await result.dispose();
  }
}
