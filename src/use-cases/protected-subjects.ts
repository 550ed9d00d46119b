/**
 * The protected Subject of encrypted mail the user has opened (RFC 9788: outside it reads "[...]"),
 * remembered for that user only so that lists show it and a search finds it. Kept as one named
 * secret of the user's vault — encrypted under the key their passphrase (the sign-in password)
 * opens — never in clear in shared storage, and bounded: the oldest are forgotten first.
 */
import type { FileCredentialStore } from '../adapters/keys/file-credential-store.js';

const SECRET_NAME = 'protected-subjects';
/** Enough for a working mailbox's recent mail; the vault stays small. */
export const MAX_REMEMBERED_SUBJECTS = 2000;
const MAX_SUBJECT_LENGTH = 500;

type Vault = Pick<FileCredentialStore, 'secret' | 'setSecrets'>;

const key = (folder: string, id: string): string => `${folder}\u0000${id}`;

async function read(vault: Vault): Promise<Record<string, string>> {
  const text = await vault.secret(SECRET_NAME);
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** Remembers the Subject an opened encrypted message protects (nothing is written when it is known already). */
export async function rememberProtectedSubject(vault: Vault, folder: string, id: string, subject: string): Promise<void> {
  const subjects = await read(vault);
  const value = subject.slice(0, MAX_SUBJECT_LENGTH);
  if (subjects[key(folder, id)] === value) return;
  delete subjects[key(folder, id)];
  subjects[key(folder, id)] = value;
  const names = Object.keys(subjects);
  for (const old of names.slice(0, Math.max(0, names.length - MAX_REMEMBERED_SUBJECTS))) delete subjects[old];
  await vault.setSecrets({ [SECRET_NAME]: JSON.stringify(subjects) });
}

/** The remembered Subject of each opened message of a folder, by id. */
export async function protectedSubjects(vault: Vault, folder: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [name, subject] of Object.entries(await read(vault))) {
    const [f, id] = name.split('\u0000');
    if (f === folder && id !== undefined) out.set(id, subject);
  }
  return out;
}
