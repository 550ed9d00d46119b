/**
 * The reference flow for credentials distributed by e-mail: find the .pfx/.p12 attachments of a
 * message, ask for each password, read the file, recognise the certificate's role — a signing-only
 * or encryption-only certificate is imported automatically with a notice; a dual-purpose one needs the
 * user's choice — and put it into the user's credential store. Nothing is imported on a wrong
 * password or a refused role.
 */
import { forEachAttachment, readDisplayedParts } from '../engine/mime/displayed-parts.js';
import { collectBytes, toByteStream } from '../engine/stream-types.js';
import { CachetError, isCachetError } from '../errors.js';
import { certificateSubject } from '../engine/cms/cert-id.js';
import { readPfx } from '../engine/pkcs12/pfx-read.js';
import { certificateRole } from '../engine/pki/certificate-role.js';
import { CREDENTIAL_ROLES, usesOf, type CredentialRole, type CredentialStore } from '../adapters/keys/credential-store.js';
import type { CertificateSource } from '../adapters/keys/key-source.js';
import type { FolderName } from '../adapters/mail/mailbox.js';
import type { LocalUser } from './users.js';

export type ImportResult =
  | { filename: string; kind: 'imported'; role: CredentialRole; subject: string; automatic: boolean; notice: string }
  | { filename: string; kind: 'choose-role'; subject: string; choices: CredentialRole[] }
  /** A signing credential is active already: replacing it (a renewal) needs the user's yes; nothing was imported. */
  | { filename: string; kind: 'confirm-replace'; subject: string; role: CredentialRole; current: { id: string; subject: string } }
  | { filename: string; kind: 'failed'; code: string; message: string };

export interface ImportAnswers {
  password(filename: string): Promise<string>;
  /** For a dual-purpose certificate: the role the user chose, or undefined to be asked again later. */
  role?(filename: string, subject: string): Promise<CredentialRole | undefined>;
  /** Replace the active signing credential without asking again. */
  replaceSigning?: boolean;
  /** Asked when the file would replace the active signing credential; without it (or on no) the result is 'confirm-replace'. */
  confirmReplace?(filename: string, current: { id: string; subject: string }): Promise<boolean>;
}

/** The credential an ERR_CERT_EXISTS names (details.id). */
function existingCredentialId(error: unknown): unknown {
  return isCachetError(error) ? error.details.id : undefined;
}

/** A PKCS#12 file holds a key and a few certificates: anything far larger is not one to read. */
const MAX_CREDENTIAL_FILE_BYTES = 1024 * 1024;

function tooLarge(filename: string): CachetError {
  return new CachetError('ERR_LIMIT_EXCEEDED', `${filename} is larger than ${MAX_CREDENTIAL_FILE_BYTES / 1024 / 1024} MiB: it is not a PKCS#12 file to import`);
}

export function isCredentialFile(filename: string, contentType: string): boolean {
  return /\.(pfx|p12)$/i.test(filename) || /^application\/(x-)?pkcs12$/i.test(contentType);
}

/**
 * Certificates mailed as .pfx files are the "email" certificate source; under the other sources the
 * client takes keys only from the token or the shared vault, and says so rather than import.
 * @throws ERR_POLICY_FORBIDS for the derivedCredentials and sharedVault sources.
 */
export function assertMailImportAllowed(source: CertificateSource): void {
  if (source === 'derivedCredentials') {
    throw new CachetError('ERR_POLICY_FORBIDS', 'your administrator takes your keys from your token (derived credentials): certificate files mailed to you are not imported; your token holds your keys');
  }
  if (source === 'sharedVault') {
    throw new CachetError('ERR_POLICY_FORBIDS', 'your administrator takes your keys from the shared vault: your identity-provider app deposits them there, and certificate files mailed to you are not imported');
  }
}

/**
 * One PKCS#12 file into the user's store, by the rules above: its password, its role (asked for a
 * dual-purpose one), and a yes before it replaces the active signing credential. The mail import and
 * the web client's upload both come here. Never throws for what is wrong with the file: a 'failed'
 * result says it, and nothing was imported.
 */
export async function importCredentialFile(store: CredentialStore, filename: string, bytes: Uint8Array, answers: ImportAnswers): Promise<ImportResult> {
  try {
    if (bytes.length > MAX_CREDENTIAL_FILE_BYTES) throw tooLarge(filename);
    const contents = await readPfx(bytes, await answers.password(filename));
    const credential = contents.credentials[0];
    if (!credential) throw new CachetError('ERR_PKCS12_NO_KEY', `${filename} holds no private key`);
    const subject = certificateSubject(credential.certificate);
    const detected = certificateRole(credential.certificate);
    let role: CredentialRole;
    let automatic = true;
    if (detected.role === 'signing' || detected.role === 'encryption') role = detected.role;
    else if (detected.role === 'dual') {
      const chosen = await answers.role?.(filename, subject);
      if (!chosen) return { filename, kind: 'choose-role', subject, choices: [...CREDENTIAL_ROLES] };
      role = chosen;
      automatic = false;
    } else {
      throw new CachetError('ERR_CERT_ROLE_UNUSABLE', `${filename} cannot be used for S/MIME: ${detected.reasons.join('; ')}`);
    }
    const newCredential = { certificate: credential.certificate, chain: credential.chain, privateKeyPkcs8: credential.privateKeyPkcs8, role, exportable: true, ...(credential.friendlyName ? { friendlyName: credential.friendlyName } : {}) };
    // An encryption credential takes over at once; replacing the signing one needs the user's yes.
    const signs = usesOf(role).includes('signing');
    try {
      await store.add(newCredential, { replaceActive: !signs || answers.replaceSigning === true });
    } catch (error) {
      const current = signs && isCachetError(error, 'ERR_CERT_EXISTS') && error.details.role === 'signing' ? await store.active('signing') : undefined;
      if (!current || current.id !== existingCredentialId(error)) throw error;
      const named = { id: current.id, subject: current.subject };
      if (!(await answers.confirmReplace?.(filename, named))) return { filename, kind: 'confirm-replace', subject, role, current: named };
      await store.add(newCredential, { replaceActive: true });
    }
    const notice = automatic
      ? `${filename}: ${role === 'signing' ? 'a signing-only' : 'an encryption-only'} certificate (${subject}) — imported automatically as your ${role} certificate`
      : `${filename}: imported as your ${role === 'both' ? 'signing and encryption' : role} certificate, as you chose (${subject})`;
    return { filename, kind: 'imported', role, subject, automatic, notice };
  } catch (error) {
    if (!isCachetError(error)) throw error;
    return { filename, kind: 'failed', code: error.code, message: error.message };
  }
}

export async function importFromMail(
  user: LocalUser,
  folder: FolderName,
  id: string,
  store: CredentialStore,
  answers: ImportAnswers,
  only?: number,
): Promise<Array<ImportResult & { index: number }>> {
  // The attachments as `cachet read` and the web client list them (same walk, same indices, exact
  // bytes: engine/mime/displayed-parts.ts), so the index a user picked there is the file imported here.
  const message = await user.mailbox.read(folder, id);
  const parts = await readDisplayedParts(() => toByteStream(message));
  const candidates: Array<{ filename: string; index: number; bytes: Buffer | undefined }> = [];
  await forEachAttachment(toByteStream(message), parts, async (attachment, content) => {
    if (!isCredentialFile(attachment.filename, attachment.contentType) || (only !== undefined && only !== attachment.index)) return;
    // Too large to be a credential: reported for this file below, the others are still imported.
    const bytes = attachment.size > MAX_CREDENTIAL_FILE_BYTES ? undefined : await collectBytes(content);
    candidates.push({ filename: attachment.filename || 'certificate.pfx', index: attachment.index, bytes });
  });
  if (candidates.length === 0) throw new CachetError('ERR_CERT_NOT_FOUND', 'this message has no .pfx or .p12 attachment to import');
  const results: Array<ImportResult & { index: number }> = [];
  for (const { filename, index, bytes } of candidates) {
    const error = bytes ? undefined : tooLarge(filename);
    results.push({ ...(bytes ? await importCredentialFile(store, filename, bytes, answers) : { filename, kind: 'failed', code: error!.code, message: error!.message }), index });
  }
  return results;
}
