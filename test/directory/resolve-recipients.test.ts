/**
 * resolveRecipients without a live directory: the address book as a source, the cache answering for
 * the directory, key changes (warn or block), and usage errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AddressBook } from '../../src/adapters/directory/address-book.js';
import { DirectoryCache } from '../../src/adapters/directory/cache.js';
import { resolveRecipients } from '../../src/adapters/directory/resolve-recipients.js';
import { isCachetError } from '../../src/errors.js';
import { certificateFingerprint } from '../../src/engine/pki/certificate-info.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { certificateDer, pkiBytes } from '../helpers/pki.js';

const home = mkdtempSync(join(tmpdir(), 'cachet-resolve-'));
after(() => rmSync(home, { recursive: true, force: true }));
const validator = createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')], crls: [pkiBytes('ca.crl')], revocation: 'hard-fail' });
const now = new Date();
// Never contacted: every answer below comes from the book or a fresh cache entry.
const directory = { url: 'ldap://127.0.0.1:1', baseDn: 'dc=example,dc=com', anonymous: true, timeoutMs: 500 };

test('address book as the source; no certificate and no trust anchor are explained', async () => {
  const book = await AddressBook.open(home);
  book.add(certificateDer('bob'), 'import', now);
  const [bob, nobody] = await resolveRecipients(['bob@example.com', 'nobody@example.com'], { addressBook: book, sourceOrder: 'addressbook', validator, now });
  assert.equal(bob!.source, 'addressbook');
  assert.equal(nobody!.certificate, undefined);
  assert.match(nobody!.reason ?? '', /not in the address book/);
  const [untrusted] = await resolveRecipients(['bob@example.com'], { addressBook: book, sourceOrder: 'addressbook', now });
  assert.equal(untrusted!.rejected[0]?.code, 'ERR_CHAIN_UNTRUSTED');
});

test('a directory certificate that differs from the known one: keyChange (warn) or rejected (block)', async () => {
  const book = await AddressBook.open(home);
  book.add(certificateDer('carol'), 'import', now, ['alice@example.com']);
  const cache = await DirectoryCache.open(home);
  cache.put('alice@example.com', [certificateDer('alice')], now);
  const [warned] = await resolveRecipients(['alice@example.com'], { directory, cache, addressBook: book, sourceOrder: 'both', validator, now });
  assert.equal(warned!.certificate?.info.fingerprintSha256, certificateFingerprint(certificateDer('alice')));
  assert.equal(warned!.source, 'ldap-cache');
  assert.equal(warned!.keyChange?.kind, 'new-key');
  const [blocked] = await resolveRecipients(['alice@example.com'], { directory, cache, addressBook: book, sourceOrder: 'both', validator, now, keyChangePolicy: 'block' });
  assert.equal(blocked!.certificate, undefined);
  assert.ok(blocked!.rejected.some((r) => r.code === 'ERR_KEY_CHANGED'));
});

test('usage: the directory as only source needs a directory; addresses are checked', async () => {
  await assert.rejects(resolveRecipients(['a@example.com'], { sourceOrder: 'ldap', now }), (e) => isCachetError(e, 'ERR_USAGE'));
  await assert.rejects(resolveRecipients(['not an address'], { sourceOrder: 'addressbook', now }), (e) => isCachetError(e, 'ERR_USAGE'));
});

test("'both' with the directory down and nothing cached still answers from the address book, and says so", async () => {
  const book = await AddressBook.open(home);
  book.add(certificateDer('bob'), 'import', now);
  const [bob] = await resolveRecipients(['bob@example.com'], { directory, addressBook: book, sourceOrder: 'both', validator, now });
  assert.equal(bob!.source, 'addressbook');
  assert.match(bob!.notes.join(' '), /directory unreachable/);
});
