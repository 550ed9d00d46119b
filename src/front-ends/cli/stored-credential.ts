/** Finding a credential in the vault by what a user types: its fingerprint, or a prefix of at least 8 hex digits. */
import { CachetError } from '../../errors.js';
import type { CredentialStore, StoredCredential } from '../../adapters/keys/credential-store.js';

export async function findStoredCredential(store: CredentialStore, selector: string): Promise<StoredCredential> {
  const wanted = selector.toLowerCase().replace(/[:\s]/g, '');
  if (!/^[0-9a-f]{8,64}$/.test(wanted)) throw new CachetError('ERR_USAGE', `"${selector}" is not a credential id (8 to 64 hex digits of its fingerprint; see "cachet cert list")`);
  const matches = (await store.list()).filter((c) => c.id.startsWith(wanted));
  if (matches.length === 0) throw new CachetError('ERR_CERT_NOT_FOUND', `no credential ${wanted} in your vault; see "cachet cert list"`, { details: { id: wanted } });
  if (matches.length > 1) throw new CachetError('ERR_USAGE', `"${wanted}" matches ${matches.length} credentials; give more of the id`);
  return matches[0]!;
}
