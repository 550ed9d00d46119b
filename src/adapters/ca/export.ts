/**
 * PKCS#12 export of an issued credential: the private key, the certificate and the whole chain up to
 * the root, under a password. Modern (PBES2 / AES-256-CBC, HMAC-SHA-256 MAC) by default; legacy
 * (3DES, SHA-1 MAC) on request for old clients. The PFX writer is the engine's
 * (src/engine/pkcs12/pfx-write.ts); this module only decides what goes in and enforces the
 * template's "exportable key" flag.
 */
import { CachetError } from '../../errors.js';
import type { CertificateTemplate } from './templates.js';
import { writePfx, type PfxWriteOptions } from '../../engine/pkcs12/pfx-write.js';

export type { PfxWriteOptions } from '../../engine/pkcs12/pfx-write.js';
export type WritePfx = (options: PfxWriteOptions) => Promise<Uint8Array>;

/** A password shorter than this is refused: the file travels by mail. */
export const MIN_PFX_PASSWORD_LENGTH = 8;

/** The engine's PKCS#12 writer (kept behind a function so tests can pass another). */
export async function loadPfxWriter(): Promise<WritePfx> {
  return writePfx;
}

/**
 * @throws CachetError ERR_POLICY_FORBIDS when the template keeps keys unexportable; ERR_USAGE for a
 *   password under {@link MIN_PFX_PASSWORD_LENGTH} characters.
 */
export function checkExportAllowed(template: CertificateTemplate, password: string): void {
  if (!template.exportableKey) {
    throw new CachetError('ERR_POLICY_FORBIDS', `the template "${template.name}" does not allow exporting the private key; enrol with a certificate request (--csr) instead`);
  }
  if (password.length < MIN_PFX_PASSWORD_LENGTH) {
    throw new CachetError('ERR_USAGE', `the PKCS#12 password must have at least ${MIN_PFX_PASSWORD_LENGTH} characters`);
  }
}

/** What goes into an exported PKCS#12, and the template that decides whether it may be exported. */
export interface ExportRequest extends PfxWriteOptions {
  template: CertificateTemplate;
}

/**
 * @throws CachetError ERR_POLICY_FORBIDS when the template keeps keys unexportable; ERR_USAGE for a
 *   password under {@link MIN_PFX_PASSWORD_LENGTH} characters; ERR_NOT_IMPLEMENTED without a writer.
 */
export async function exportPfx(request: ExportRequest, writePfx?: WritePfx): Promise<Uint8Array> {
  checkExportAllowed(request.template, request.password);
  const writer = writePfx ?? (await loadPfxWriter());
  return writer({
    privateKeyPkcs8: request.privateKeyPkcs8,
    certificate: request.certificate,
    chain: request.chain,
    password: request.password,
    ...(request.friendlyName ? { friendlyName: request.friendlyName } : {}),
    legacy: request.legacy ?? false,
  });
}
