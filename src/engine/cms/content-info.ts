/**
 * The framing the streamed CMS readers share, opened here once: the ContentInfo (RFC 5652 §3) around
 * SignedData, EnvelopedData, AuthEnvelopedData and CompressedData, and the EncapsulatedContentInfo
 * (§5.2) of SignedData and CompressedData. DER or BER with indefinite lengths alike.
 */
import type { ByteSource } from '../asn1/byte-source.js';
import { ConstructedScope, expectTag, malformed, readHeader, readObjectIdentifier, TagClass, UniversalTag, type BerHeader } from '../asn1/ber-reader.js';
import type { CachetError } from '../../errors.js';

export interface ContentInfoFrame {
  contentType: string;
  /** The content's own SEQUENCE (the SignedData, the EnvelopedData…), open for its children. */
  body: ConstructedScope;
  /** Once the body has been read to its end: consumes the end of the [0] and of the ContentInfo. */
  close(): Promise<void>;
}

/**
 * Reads a ContentInfo up to its content's first child.
 * @param expected the content types the caller reads; any other is refused with `refuse(contentType)`
 * @param bodyName names the content in errors, e.g. "SignedData"
 */
export async function openContentInfo(
  source: ByteSource,
  expected: readonly string[],
  refuse: (contentType: string) => CachetError,
  bodyName: string,
): Promise<ContentInfoFrame> {
  if (await source.atEnd()) throw malformed('the CMS data is empty');
  const contentInfo = await readHeader(source);
  expectTag(contentInfo, TagClass.universal, UniversalTag.sequence, 'a ContentInfo SEQUENCE', true);
  const outer = new ConstructedScope(source, contentInfo);
  const contentType = await readObjectIdentifier(source, await outer.requireChild('the content type'));
  if (!expected.includes(contentType)) throw refuse(contentType);
  const explicit = await outer.requireChild(`the ${bodyName}`);
  expectTag(explicit, TagClass.context, 0, 'the [0] content of a ContentInfo', true);
  const explicitScope = new ConstructedScope(source, explicit);
  const body = await explicitScope.requireChild(`the ${bodyName}`);
  expectTag(body, TagClass.universal, UniversalTag.sequence, `a ${bodyName} SEQUENCE`, true);
  return {
    contentType,
    body: new ConstructedScope(source, body),
    async close() {
      await explicitScope.close(`the ${bodyName}`);
      await outer.close('the ContentInfo');
    },
  };
}

export interface EncapsulatedContent {
  /** The eContentType. */
  contentType: string;
  /** The header of the eContent OCTET STRING, to stream; undefined when the content is detached. */
  octets: BerHeader | undefined;
  /** Once the octets have been read: consumes the end of the [0] eContent and of the EncapsulatedContentInfo. */
  close(): Promise<void>;
}

/** Reads the EncapsulatedContentInfo that is the next child of `parent`, up to the eContent's octets. */
export async function openEncapsulatedContent(source: ByteSource, parent: ConstructedScope): Promise<EncapsulatedContent> {
  const encap = await parent.requireChild('the encapsulated content');
  expectTag(encap, TagClass.universal, UniversalTag.sequence, 'an EncapsulatedContentInfo SEQUENCE', true);
  const encapScope = new ConstructedScope(source, encap);
  const contentType = await readObjectIdentifier(source, await encapScope.requireChild('the eContentType'));
  const eContent = await encapScope.nextChild();
  // Without eContent (detached), nextChild() has already consumed the end of the EncapsulatedContentInfo.
  if (!eContent) return { contentType, octets: undefined, close: async () => {} };
  expectTag(eContent, TagClass.context, 0, 'the [0] eContent', true);
  const eScope = new ConstructedScope(source, eContent);
  const octets = await eScope.requireChild('the eContent OCTET STRING');
  if (octets.tagClass !== TagClass.universal || octets.tagNumber !== UniversalTag.octetString) throw malformed('the eContent is not an OCTET STRING');
  return {
    contentType,
    octets,
    async close() {
      await eScope.close('the eContent');
      await encapScope.close('the EncapsulatedContentInfo');
    },
  };
}
