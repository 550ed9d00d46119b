/**
 * Autocomplete for To/Cc: people from the address book and the directory (as the policy's
 * publicCertificateSource names them) whose address or name starts with what was typed, each with
 * the certificate state the send would find — the same recipient lookup (recipients.ts), so a
 * suggestion never promises encryption the send then refuses.
 */
import { AddressBook } from '../adapters/directory/address-book.js';
import { searchDirectoryPeople } from '../adapters/directory/ldap-lookup.js';
import { directoryFromPolicy } from '../adapters/directory/policy-directory.js';
import { isCachetError } from '../errors.js';
import type { MailSession } from './mail-session.js';
import type { RecipientLookup } from './recipients.js';

/** Fewer typed characters match too many people to be useful (and ask the directory for nothing). */
export const MIN_CONTACT_PREFIX = 2;
export const MAX_CONTACT_PREFIX = 100;
export const MAX_CONTACT_SUGGESTIONS = 8;

export interface ContactSuggestion {
  address: string;
  name: string | null;
  /** Where the person was found. */
  from: Array<'addressbook' | 'directory'>;
  lookup: RecipientLookup;
}

export interface ContactSuggestions {
  suggestions: ContactSuggestion[];
  /** Why the directory could not be asked (unreachable, refused the bind), or null. */
  directoryProblem: string | null;
}

export async function suggestContacts(session: Pick<MailSession, 'home' | 'user' | 'policy' | 'resolveRecipients' | 'secrets'>, typed: string): Promise<ContactSuggestions> {
  const prefix = typed.trim().toLowerCase().slice(0, MAX_CONTACT_PREFIX);
  if (prefix.length < MIN_CONTACT_PREFIX) return { suggestions: [], directoryProblem: null };
  const found = new Map<string, { name: string | null; from: Set<'addressbook' | 'directory'> }>();
  const note = (address: string, name: string | null, from: 'addressbook' | 'directory') => {
    const entry = found.get(address) ?? { name: null, from: new Set() };
    entry.name ??= name;
    entry.from.add(from);
    found.set(address, entry);
  };
  const source = session.policy.string('publicCertificateSource');
  if (source !== 'ldap') {
    const book = await AddressBook.open(session.user.dir);
    for (const address of book.addresses()) if (address.toLowerCase().startsWith(prefix)) note(address.toLowerCase(), null, 'addressbook');
  }
  let directoryProblem: string | null = null;
  const directory = source === 'addressbook' ? undefined : await directoryFromPolicy(session.policy, { home: session.home, secrets: () => session.secrets() });
  if (directory) {
    try {
      for (const person of await searchDirectoryPeople(directory, prefix)) note(person.address, person.name, 'directory');
    } catch (error) {
      if (!isCachetError(error)) throw error;
      directoryProblem = error.message;
    }
  }
  const chosen = [...found.entries()].slice(0, MAX_CONTACT_SUGGESTIONS);
  const lookups = chosen.length > 0 ? await session.resolveRecipients(chosen.map(([address]) => address)) : [];
  return {
    suggestions: chosen.map(([address, entry], i) => ({ address, name: entry.name, from: [...entry.from], lookup: lookups[i]! })),
    directoryProblem,
  };
}
