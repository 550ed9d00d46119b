/**
 * The vault service's audit log: one JSON line per access (app, operation, credential, time,
 * outcome), appended to an owner-only file. Tokens, passphrases and data are never written.
 */
import { appendFile, chmod, readFile } from 'node:fs/promises';
import { vaultServicePaths } from './paths.js';

export interface AuditEntry {
  time: string;
  /** The enrolled app's name; "owner" for the user's own unlock/lock/passphrase; null when unidentified. */
  app: string | null;
  operation: string;
  credential?: string;
  /** "ok", or the error code of the refusal or failure. */
  outcome: string;
}

export async function appendAudit(home: string, entry: Omit<AuditEntry, 'time'>): Promise<void> {
  const path = vaultServicePaths(home).audit;
  const line = `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`;
  // The mode applies only when the file is created; chmod keeps it owner-only if it was loosened.
  await appendFile(path, line, { mode: 0o600, flag: 'a' });
  await chmod(path, 0o600);
}

export async function readAudit(home: string): Promise<AuditEntry[]> {
  let text: string;
  try {
    text = await readFile(vaultServicePaths(home).audit, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as AuditEntry);
}
