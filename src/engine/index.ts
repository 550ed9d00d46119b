/**
 * Cachet's engine: the public API. Everything not named here is internal.
 */
export { CachetError, ERROR_CODES, isCachetError, type CachetErrorCode } from '../errors.js';
export type { ContentCipher, Decryptor, DigestAlgorithm, PrivateKeyHandle, Recipient, Signer } from './keys.js';
export { softwareKey } from './software-key.js';
export { collectBytes, toByteStream, type ByteSink, type ByteStream } from './stream-types.js';
export { signEntity, signMessage, type SignOptions } from './smime/sign.js';
export { verifySignedEntity, verifyCms, readCertsOnly, buildCertsOnly, type SignedLayerReport, type SignerReport } from './smime/verify.js';
export { encryptEntity, encryptMessage, encryptCms, type EncryptOptions } from './smime/encrypt.js';
export { decryptEnvelopedEntity, decryptCms, type DecryptionReport } from './smime/decrypt.js';
export { openMessage, type OpenOptions, type OpenReport, type OpenResult, type MessageStatus } from './smime/open.js';
export { readMimeEntity } from './mime/entity-reader.js';
export { readPfx, type PfxContents, type PfxCredential } from './pkcs12/pfx-read.js';
export { writePfx, type PfxWriteOptions } from './pkcs12/pfx-write.js';
export { certificateRole, type CertificateRole } from './pki/certificate-role.js';
export { createCertificateValidator, type ValidatorOptions } from './pki/create-validator.js';
export type { CertificateValidator, ChainValidationResult } from './pki/validator.js';
export { Spool } from './spool.js';
