/**
 * Streaming decoder for EnvelopedData and AuthEnvelopedData: the RecipientInfos are read first (they
 * precede the content), the content key recovered with a matching decryptor, then the encrypted
 * content is decrypted chunk by chunk into the sink. The sink receives plaintext before the GCM tag or
 * CBC padding is checked at the end, so callers must hold it back until this function resolves.
 */
import { CachetError } from '../../errors.js';
import { openContentInfo } from './content-info.js';
import type { Decryptor } from '../keys.js';
import { OID, oidName } from '../oids.js';
import type { ByteSink, ByteStream } from '../stream-types.js';
import { ByteSource } from '../asn1/byte-source.js';
import {
  ConstructedScope,
  TagClass,
  UniversalTag,
  captureElement,
  expectTag,
  isTag,
  readObjectIdentifier,
  readSmallInteger,
  skipContent,
  streamOctetString,
} from '../asn1/ber-reader.js';
import { createContentDecryptor, contentKeyLengthOf, decodeContentEncryptionAlgorithm, isAuthenticatedCipher } from './content-encryption.js';
import { decryptorMatches, parseRecipientInfos, recipientDescription, type KeyManagement, type RecipientEntry } from './recipient-info.js';
import { certificateSubject } from './cert-id.js';

export interface DecryptionReport {
  kind: 'encrypted';
  contentType: 'enveloped-data' | 'authEnveloped-data';
  contentEncryption: string;
  /** RC2 only: the effective key bits (40 for "export" mail). */
  rc2EffectiveBits?: number;
  keyManagement: KeyManagement;
  authenticated: boolean;
  recipient: { issuer?: string; serialNumber?: string; subjectKeyIdentifier?: string; subject?: string };
  recipientCount: number;
}

/** Decrypts a CMS ContentInfo (enveloped or auth-enveloped) from `source` into `sink`. */
export async function decryptEnvelopedContentInfo(cms: ByteStream | ByteSource, sink: ByteSink, decryptors: readonly Decryptor[]): Promise<DecryptionReport> {
  const source = cms instanceof ByteSource ? cms : new ByteSource(cms);
  const frame = await openContentInfo(
    source,
    [OID.id_envelopedData, OID.id_ct_authEnvelopedData],
    (other) => new CachetError('ERR_NOT_ENCRYPTED', `the CMS object is ${oidName(other)}, not encrypted data`),
    'EnvelopedData',
  );
  const authenticated = frame.contentType === OID.id_ct_authEnvelopedData;
  const scope = frame.body;
  await readSmallInteger(source, await scope.requireChild('the version'));
  let next = await scope.requireChild('the RecipientInfos');
  if (isTag(next, TagClass.context, 0)) {
    await skipContent(source, next); // originatorInfo: certificates we do not need to decrypt
    next = await scope.requireChild('the RecipientInfos');
  }
  expectTag(next, TagClass.universal, UniversalTag.set, 'the RecipientInfos SET', true);
  const entries = parseRecipientInfos(await captureElement(source, next));
  const { entry, decryptor } = chooseRecipient(entries, decryptors);

  const eciHeader = await scope.requireChild('the EncryptedContentInfo');
  expectTag(eciHeader, TagClass.universal, UniversalTag.sequence, 'an EncryptedContentInfo', true);
  const eci = new ConstructedScope(source, eciHeader);
  await readObjectIdentifier(source, await eci.requireChild('the encrypted content type'));
  const algorithmHeader = await eci.requireChild('the content encryption algorithm');
  const parameters = decodeContentEncryptionAlgorithm(await captureElement(source, algorithmHeader));
  if (isAuthenticatedCipher(parameters.cipher) !== authenticated) {
    // RFC 5084: GCM only in AuthEnvelopedData; CBC in AuthEnvelopedData has no integrity to check.
    throw new CachetError('ERR_CMS_MALFORMED', `${parameters.cipher} does not belong in ${authenticated ? 'AuthEnvelopedData' : 'EnvelopedData'}`);
  }
  const key = await entry.unwrap(decryptor, contentKeyLengthOf(parameters));
  const decipher = createContentDecryptor(parameters, Buffer.from(key));
  const contentHeader = await eci.nextChild();
  if (contentHeader) {
    if (!isTag(contentHeader, TagClass.context, 0)) throw new CachetError('ERR_CMS_MALFORMED', 'the encrypted content has the wrong tag');
    for await (const chunk of streamOctetString(source, contentHeader)) {
      const plain = decipher.update(chunk);
      if (plain.length > 0) await sink.write(plain);
    }
    await eci.close('the EncryptedContentInfo');
  } else {
    throw new CachetError('ERR_CMS_UNSUPPORTED', 'the encrypted content is detached from the message');
  }
  let tag: Buffer | undefined;
  if (authenticated) {
    const field = await scope.requireChild('the message authentication code');
    if (isTag(field, TagClass.context, 1)) {
      throw new CachetError('ERR_CMS_UNSUPPORTED', 'authenticated attributes in AuthEnvelopedData are not supported');
    }
    expectTag(field, TagClass.universal, UniversalTag.octetString, 'the MAC', false);
    tag = await source.readExact(field.length ?? 0);
  }
  const last = decipher.final(tag);
  if (last.length > 0) await sink.write(last);
  const attributes = await scope.nextChild(); // unprotectedAttrs / unauthAttrs: nothing to act on
  if (attributes) {
    await skipContent(source, attributes);
    await scope.close('the EnvelopedData');
  }
  await frame.close();
  return {
    kind: 'encrypted',
    contentType: authenticated ? 'authEnveloped-data' : 'enveloped-data',
    contentEncryption: parameters.cipher,
    ...(parameters.rc2EffectiveBits !== undefined ? { rc2EffectiveBits: parameters.rc2EffectiveBits } : {}),
    keyManagement: entry.keyManagement,
    authenticated,
    recipient: { ...recipientDescription(entry), subject: certificateSubject(decryptor.certificate) },
    recipientCount: entries.length,
  };
}

function chooseRecipient(entries: RecipientEntry[], decryptors: readonly Decryptor[]): { entry: RecipientEntry; decryptor: Decryptor } {
  for (const entry of entries) {
    const decryptor = decryptors.find((d) => decryptorMatches(entry, d));
    if (decryptor) return { entry, decryptor };
  }
  const present = entries.map((e) => describeRecipient(recipientDescription(e))).join('; ');
  throw new CachetError('ERR_NOT_A_RECIPIENT', decryptors.length === 0 ? 'no key was given to decrypt with' : `none of your keys can open this message; it is encrypted to: ${present || 'recipients of an unsupported kind'}`, {
    details: { recipients: entries.map(recipientDescription) },
  });
}

/** "serial 1002 issued by CN=…" or "key identifier 3f…": what the message itself says of a recipient. */
function describeRecipient(id: { issuer?: string; serialNumber?: string; subjectKeyIdentifier?: string }): string {
  if (id.subjectKeyIdentifier) return `the certificate with key identifier ${id.subjectKeyIdentifier}`;
  return `the certificate with serial ${id.serialNumber ?? '?'} issued by ${id.issuer ?? '?'}`;
}
