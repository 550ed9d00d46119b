/**
 * The Certificates view's use cases for a signed-in user, on the same modules as the CLI:
 * import-from-mail.ts (importCredentialFile, importFromMail) and own-credentials.ts (expiry, backup,
 * removal). Keys stay on the server; a backup leaves only as a PKCS#12 file under the user's password.
 */
import { CachetError } from '../../errors.js';
import type { CredentialStore, StoredCredential } from '../../adapters/keys/credential-store.js';
import { assertMailImportAllowed, importCredentialFile, importFromMail, type ImportResult } from '../../use-cases/import-from-mail.js';
import type { MailSession } from '../../use-cases/mail-session.js';
import { expiryState, exportCredential, removalWarning, removeCredential } from '../../use-cases/own-credentials.js';
import { describeCertificate } from './certificate-details.js';
import { listCredentialsForPage } from './credential-listing.js';
import type { CertificateService, CertificatesView, CredentialChoice, FileImportOutcome } from './certificate-service.js';
import type { ImportOutcome } from './mail-service.js';

/** An import's result as the browser is told it (a wrong password in words a user reads). */
export function importOutcome(result: ImportResult): ImportOutcome {
  if (result.kind === 'imported') return { kind: 'imported', role: result.role, subject: result.subject, notice: result.notice };
  if (result.kind === 'choose-role') return { kind: 'choose-role', subject: result.subject, choices: result.choices };
  if (result.kind === 'confirm-replace') return { kind: 'confirm-replace', subject: result.subject, role: result.role, current: result.current };
  return { kind: 'failed', code: result.code, message: result.code === 'ERR_PKCS12_BAD_PASSWORD' ? 'That password is wrong for this file. Nothing was imported.' : result.message };
}

export class ClientCertificateService implements CertificateService {
  constructor(
    private readonly session: (user: string) => Promise<MailSession>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The vault of the "email" source; the other sources' keys are not the web client's to change. */
  private async vault(mail: MailSession, createIfMissing = false): Promise<CredentialStore> {
    assertMailImportAllowed(mail.source);
    return mail.store(createIfMissing);
  }

  private async credential(store: CredentialStore, id: string): Promise<StoredCredential> {
    const found = (await store.list()).find((c) => c.id === id.toLowerCase());
    if (!found) throw new CachetError('ERR_CERT_NOT_FOUND', 'that certificate is not in your vault (any more)', { details: { id } });
    return found;
  }

  async list(user: string): Promise<CertificatesView> {
    return this.view(await this.session(user));
  }

  private async view(mail: MailSession): Promise<CertificatesView> {
    const warnDaysBefore = mail.policy.get('renewDaysBefore') as number;
    // No vault yet is an empty list; a token to unlock or a stopped vault service is said.
    const { credentials, sourceProblem } = await listCredentialsForPage(mail, ['ERR_VAULT_NOT_FOUND']);
    const now = new Date(this.now());
    return {
      credentials: credentials.map((c) => {
        const certificate = describeCertificate(c.certificate, c.chain);
        return {
          id: c.id,
          role: c.role,
          active: c.active,
          subject: c.subject,
          email: c.email,
          issuer: certificate.issuer,
          notAfter: c.notAfter,
          fingerprint: certificate.fingerprint,
          exportable: c.exportable && mail.source === 'email',
          expiry: expiryState(c.notAfter, warnDaysBefore, now),
          removalWarning: removalWarning(c),
          certificate,
        };
      }),
      warnDaysBefore,
      source: mail.source,
      manageable: mail.source === 'email',
      sourceProblem,
    };
  }

  async importFiles(user: string, files: Array<{ filename: string; data: Uint8Array }>, password: string, choice: CredentialChoice = {}): Promise<FileImportOutcome[]> {
    const mail = await this.session(user);
    const store = await this.vault(mail, true);
    const out: FileImportOutcome[] = [];
    for (const file of files) {
      const result = await importCredentialFile(store, file.filename, file.data, { password: async () => password, role: async () => choice.role, replaceSigning: choice.replaceSigning === true });
      out.push({ ...importOutcome(result), filename: file.filename });
    }
    return out;
  }

  async importAllFromMail(user: string, source: { folder: string; id: string }, password: string): Promise<FileImportOutcome[]> {
    const mail = await this.session(user);
    const store = await this.vault(mail, true);
    const results = await importFromMail(mail.user, source.folder, source.id, store, { password: async () => password });
    return results.map((r) => ({ ...importOutcome(r), filename: r.filename, index: r.index }));
  }

  async exportBackup(user: string, id: string, password: string): Promise<{ filename: string; data: Uint8Array }> {
    const mail = await this.session(user);
    const store = await this.vault(mail);
    const credential = await this.credential(store, id);
    const data = await exportCredential(store, credential, password);
    const who = (credential.email[0] ?? 'certificate').replace(/[^\w.@-]/g, '_');
    return { filename: `${who}-${credential.role}-${credential.id.slice(0, 8)}.p12`, data };
  }

  async remove(user: string, id: string, confirmed: boolean): Promise<CertificatesView> {
    const mail = await this.session(user);
    const store = await this.vault(mail);
    await removeCredential(store, await this.credential(store, id), confirmed);
    return this.view(mail);
  }
}
