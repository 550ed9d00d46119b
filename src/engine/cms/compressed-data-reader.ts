/**
 * Reads CompressedData (RFC 3274; S/MIME `smime-type=compressed-data`, RFC 8551 §3.6) from a stream
 * and writes the decompressed content to a sink as it inflates. BouncyCastle and MimeKit send it
 * (often signed or encrypted around it, BER with indefinite lengths); OpenSSL only when built with zlib.
 * Written by hand because PKI.js has no CompressedData and no library reads it as a stream.
 *
 * Decompression is bounded: zlib can expand a byte ~1000-fold, so a small message could otherwise fill
 * the disk through the spool it is unwrapped into.
 */
import { createInflate } from 'node:zlib';
import { ByteSource } from '../asn1/byte-source.js';
import { captureElement, malformed, readSmallInteger, streamOctetString } from '../asn1/ber-reader.js';
import { CachetError } from '../../errors.js';
import { OID, oidName } from '../oids.js';
import type { ByteSink, ByteStream } from '../stream-types.js';
import { openContentInfo, openEncapsulatedContent } from './content-info.js';
import { derChildren, derNode, derOid } from './der-walk.js';
import { asCmsError } from './signed-data-reader.js';

export interface DecompressionLimits {
  freeBytes: number;
  maxRatio: number;
  maxBytes: number;
}

export const DECOMPRESSION_LIMITS: Readonly<DecompressionLimits> = {
  /** Output allowed whatever the ratio: small messages of repetitive text compress very well. */
  freeBytes: 16 * 1024 * 1024,
  /** Beyond that, the output may be at most this many times the compressed bytes read so far. */
  maxRatio: 256,
  /** And never more than this in all. */
  maxBytes: 4 * 1024 * 1024 * 1024,
};

export interface DecompressionReport {
  algorithm: 'zlib';
  /** The eContentType of the compressed content (id-data for S/MIME). */
  contentType: string;
  compressedBytes: number;
  decompressedBytes: number;
}

/** Errors thrown by a sink while content was written to it: passed on untouched. */
const sinkFailures = new WeakSet<object>();

/** The compressionAlgorithm's OID, from its DER AlgorithmIdentifier. */
function algorithmOid(der: Uint8Array): string {
  const node = derNode(der);
  const [oid] = derChildren(der, node);
  if (!oid) throw malformed('the compression AlgorithmIdentifier is empty');
  return derOid(der, oid);
}

/**
 * Reads a ContentInfo holding CompressedData and writes the inflated content to `sink`.
 * @throws ERR_CMS_UNSUPPORTED (another content type, or a compression other than zlib),
 *   ERR_CMS_MALFORMED (broken framing or a damaged zlib stream), ERR_LIMIT_EXCEEDED (a decompression bomb)
 */
export async function decompressContentInfo(cms: ByteStream | ByteSource, sink: ByteSink, limits: Partial<DecompressionLimits> = {}): Promise<DecompressionReport> {
  const source = cms instanceof ByteSource ? cms : new ByteSource(cms);
  try {
    return await decompress(source, sink, { ...DECOMPRESSION_LIMITS, ...limits });
  } catch (error) {
    // The sink's own failure (a full disk) is the caller's to name, not a fault of the message.
    if (sinkFailures.has(error as object)) throw error;
    throw asCmsError(error);
  }
}

async function decompress(source: ByteSource, sink: ByteSink, limits: DecompressionLimits): Promise<DecompressionReport> {
  const frame = await openContentInfo(
    source,
    [OID.id_ct_compressedData],
    (other) => new CachetError('ERR_CMS_UNSUPPORTED', `the CMS content is ${oidName(other)}, not compressed data`, { details: { contentType: other } }),
    'CompressedData',
  );
  const version = await readSmallInteger(source, await frame.body.requireChild('the CompressedData version'));
  if (version !== 0) throw new CachetError('ERR_CMS_UNSUPPORTED', `CompressedData version ${version} is not supported (RFC 3274 defines 0)`);
  const algorithm = algorithmOid(await captureElement(source, await frame.body.requireChild('the compressionAlgorithm'), 0, 4096));
  if (algorithm !== OID.id_alg_zlibCompress) {
    throw new CachetError('ERR_CMS_UNSUPPORTED', `the content is compressed with ${oidName(algorithm)}; only zlib (RFC 3274) is supported`, { details: { algorithm } });
  }
  const encapsulated = await openEncapsulatedContent(source, frame.body);
  if (!encapsulated.octets) throw malformed('the compressed content is missing');
  const counts = await inflateInto(streamOctetString(source, encapsulated.octets), sink, limits);
  await encapsulated.close();
  await frame.body.close('the CompressedData');
  await frame.close();
  return { algorithm: 'zlib', contentType: encapsulated.contentType, ...counts };
}

/**
 * Compressed bytes handed to the inflater at once, and the size of its output chunks. Why: BouncyCastle
 * streams the content in 1,000-byte BER segments, and one write per segment cost ~20 µs of stream
 * machinery each (4 s for 160 MB); batches of 256 KiB cost a copy (~20 ms for 160 MB) instead.
 */
const INFLATE_BATCH = 256 * 1024;

/** Gathers small chunks into batches of about INFLATE_BATCH bytes (fresh ones: the inflater keeps them until done). */
async function* batched(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    if (chunk.length >= INFLATE_BATCH && length === 0) {
      yield Buffer.from(chunk);
      continue;
    }
    parts.push(chunk);
    length += chunk.length;
    if (length >= INFLATE_BATCH) {
      yield Buffer.concat(parts, length);
      parts = [];
      length = 0;
    }
  }
  if (length > 0) yield Buffer.concat(parts, length);
}

/** Inflates the zlib stream into the sink, chunk by chunk, within the limits. */
async function inflateInto(compressed: AsyncIterable<Uint8Array>, sink: ByteSink, limits: DecompressionLimits): Promise<{ compressedBytes: number; decompressedBytes: number }> {
  const inflate = createInflate({ chunkSize: INFLATE_BATCH });
  let compressedBytes = 0;
  let decompressedBytes = 0;
  let failure: unknown;
  let sinkFailure: unknown;
  // The compressed side is fed as the inflater takes it (write until it asks to wait, then its
  // 'drain'), so neither side is held whole.
  const feeding = (async () => {
    try {
      for await (const chunk of batched(compressed)) {
        compressedBytes += chunk.length;
        if (!inflate.write(chunk)) await drainedOrClosed(inflate);
        if (inflate.destroyed) return;
      }
      inflate.end();
    } catch (error) {
      failure ??= error;
      inflate.destroy();
    }
  })();
  try {
    for await (const chunk of inflate as AsyncIterable<Buffer>) {
      decompressedBytes += chunk.length;
      const allowed = Math.min(limits.maxBytes, limits.freeBytes + limits.maxRatio * compressedBytes);
      if (decompressedBytes > allowed) {
        throw new CachetError('ERR_LIMIT_EXCEEDED', `the compressed content expands beyond ${limits.maxRatio} times its size (a decompression bomb); it was not unpacked`);
      }
      try {
        await sink.write(chunk);
      } catch (error) {
        sinkFailure = error;
        if (typeof error === 'object' && error !== null) sinkFailures.add(error);
        throw error;
      }
    }
  } catch (error) {
    inflate.destroy();
    await feeding;
    if (failure !== undefined) throw failure;
    // Where the content goes failed (a full disk): that error as it is, not "damaged".
    if (error === sinkFailure || error instanceof CachetError) throw error;
    throw new CachetError('ERR_CMS_MALFORMED', `the compressed content is damaged (${(error as NodeJS.ErrnoException).code ?? 'zlib error'})`, { cause: error });
  }
  await feeding;
  if (failure !== undefined) throw failure;
  return { compressedBytes, decompressedBytes };
}

/** Resolves when the inflater wants more input, or will never want any (destroyed by the reading side). */
function drainedOrClosed(inflate: ReturnType<typeof createInflate>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      inflate.off('drain', done);
      inflate.off('close', done);
      resolve();
    };
    inflate.on('drain', done);
    inflate.on('close', done);
  });
}
