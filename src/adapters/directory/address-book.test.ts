import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { certificateFingerprint } from '../../engine/pki/certificate-info.js';
import type { SignedLayerReport, SignerReport } from '../../engine/smime/reports.js';
import { certificateDer, pkiBytes } from '../../../test/helpers/pki.js';
import { AddressBook } from './address-book.js';

function layer(signer: Partial<SignerReport>, certificates: Uint8Array[] = []): SignedLayerReport {
  const s: SignerReport = { subject: 'CN=frank', email: ['frank@example.com'], digestAlgorithm: 'sha256', signatureAlgorithm: 'rsa-pkcs1-sha256', signingTime: null, valid: true, trusted: true, weakAlgorithm: false, error: null, capabilities: [], ...signer };
  return { kind: 'signed', form: 'detached', signers: [s], valid: s.valid, trusted: s.trusted, certificates };
}

test('harvest: signer and its encryption certificate, capabilities and key preference; persisted', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cachet-ab-'));
  try {
    const now = new Date('2026-03-01T00:00:00Z');
    await AddressBook.change(home, (book) =>
      book.harvestSignedLayer(layer({ certificate: certificateDer('frank-sign'), capabilities: ['aes-256-gcm', 'rsaes-oaep'], encryptionKeyPreference: { source: 'smime', certificate: certificateDer('frank-enc') } }, [certificateDer('frank-sign'), certificateDer('frank-enc')]), now, 'frank@example.com'),
    );
    const again = await AddressBook.open(home);
    const frank = again.correspondent('Frank@Example.com');
    assert.equal(frank?.certificates.length, 2);
    assert.ok(frank?.certificates.every((c) => c.accepted && c.origin === 'signed-mail'));
    assert.deepEqual(frank?.capabilities, { list: ['aes-256-gcm', 'rsaes-oaep'], seenAt: now.toISOString() });
    assert.equal(frank?.encryptionKeyPreference?.fingerprint, certificateFingerprint(certificateDer('frank-enc')));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('harvest ignores invalid or untrusted signatures: they cannot plant a key', async () => {
  const book = await AddressBook.open(mkdtempSync(join(tmpdir(), 'cachet-ab-')));
  assert.deepEqual(book.harvestSignedLayer(layer({ certificate: certificateDer('alice'), email: ['alice@example.com'], valid: false }), new Date(), 'alice@example.com'), []);
  assert.deepEqual(book.harvestSignedLayer(layer({ certificate: certificateDer('eve'), email: ['eve@example.com'], trusted: false }), new Date(), 'eve@example.com'), []);
  assert.deepEqual(book.addresses(), []);
});

/** DER of the test PKI's PEM file NAME.pem (its CA certificates have no .der beside them). */
function caDer(name: string): Buffer {
  return Buffer.from(pkiBytes(`${name}.pem`).toString('latin1').replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

test("harvest keeps the carried intermediates of the signer's validated chain: not the anchor, not the message's other certificates", async () => {
  const home = mkdtempSync(join(tmpdir(), 'cachet-ab-'));
  try {
    const [dan, inter, root, bars] = [certificateDer('dan'), caDer('inter'), caDer('ca'), caDer('bars')];
    const signed = layer({ certificate: dan, email: ['dan@example.com'], chain: [dan, inter, root] }, [dan, inter, root, bars]);
    await AddressBook.change(home, (book) => book.harvestSignedLayer(signed, new Date(), 'dan@example.com'));
    await AddressBook.change(home, (book) => book.harvestSignedLayer(signed, new Date(), 'dan@example.com'));
    const book = await AddressBook.open(home);
    assert.deepEqual(book.correspondent('dan@example.com')?.intermediates, [inter.toString('base64')], 'kept once, persisted');
    const all = book.allCertificates().map((der) => Buffer.from(der).toString('base64'));
    assert.ok(all.includes(inter.toString('base64')));
    assert.ok(!all.includes(root.toString('base64')) && !all.includes(bars.toString('base64')));
    // Not carried (the validator found it elsewhere): not kept; an untrusted signer keeps nothing.
    const other = await AddressBook.open(mkdtempSync(join(tmpdir(), 'cachet-ab-')));
    other.harvestSignedLayer(layer({ certificate: dan, email: ['dan@example.com'], chain: [dan, inter, root] }, [dan]), new Date(), 'dan@example.com');
    other.harvestSignedLayer(layer({ certificate: dan, email: ['dan@example.com'], trusted: false, chain: [dan, inter] }, [dan, inter]), new Date(), 'dan@example.com');
    assert.equal(other.correspondent('dan@example.com')?.intermediates, undefined);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('key continuity: a different key for a known address is flagged and kept pending; renewal same key+CA is not', async () => {
  const book = await AddressBook.open(mkdtempSync(join(tmpdir(), 'cachet-ab-')));
  const now = new Date();
  assert.equal(book.add(certificateDer('alice'), 'import', now)[0]?.keyChange, undefined);
  const [changed] = book.add(certificateDer('eve'), 'certs-only', now, ['alice@example.com']);
  assert.equal(changed?.keyChange?.kind, 'new-key-and-ca');
  assert.match(changed?.keyChange?.message ?? '', /cachet addressbook accept alice@example.com/);
  assert.equal(book.correspondent('alice@example.com')?.certificates[1]?.accepted, false);
  const [other] = book.add(certificateDer('bob'), 'import', now, ['alice@example.com']);
  assert.equal(other?.keyChange?.kind, 'new-key');
  book.accept('alice@example.com', certificateFingerprint(certificateDer('eve')));
  assert.equal(book.keyChange('alice@example.com', certificateDer('eve')), undefined);
});

test('writers at once (two harvests and an import) each keep their certificates', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cachet-ab-'));
  try {
    const now = new Date();
    await Promise.all([
      AddressBook.change(home, (book) => book.harvestSignedLayer(layer({ certificate: certificateDer('frank-sign') }), now, 'frank@example.com')),
      AddressBook.change(home, (book) => book.harvestSignedLayer(layer({ certificate: certificateDer('alice'), email: ['alice@example.com'] }), now, 'alice@example.com')),
      AddressBook.change(home, (book) => book.add(certificateDer('carol'), 'import', now)),
    ]);
    assert.deepEqual((await AddressBook.open(home)).addresses(), ['alice@example.com', 'carol@example.com', 'frank@example.com']);
    assert.deepEqual(readdirSync(home).filter((f) => f !== 'address-book.json'), [], 'no lock or temporary file is left');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('harvest files only the sender\'s own certificate, under the sender\'s address', async () => {
  const book = await AddressBook.open(mkdtempSync(join(tmpdir(), 'cachet-ab-')));
  // A valid signer who is not the From address files nothing; one who is files only for that address.
  assert.deepEqual(book.harvestSignedLayer(layer({ certificate: certificateDer('alice'), email: ['alice@example.com'] }), new Date(), 'carol@example.com'), []);
  const filed = book.harvestSignedLayer(layer({ certificate: certificateDer('carol'), email: ['carol@example.com'] }, [certificateDer('carol'), certificateDer('alice')]), new Date(), 'carol@example.com');
  assert.deepEqual(filed.map((r) => r.address), ['carol@example.com']);
  assert.deepEqual(book.addresses(), ['carol@example.com'], 'alice\'s certificate carried along is not filed for her');
});

test('a validated certificate beats accepted ones nobody validated; between validated ones key continuity still asks', async () => {
  const book = await AddressBook.open(mkdtempSync(join(tmpdir(), 'cachet-ab-')));
  const now = new Date();
  book.add(certificateDer('eve'), 'certs-only', now, ['alice@example.com']);
  const [real] = book.harvestSignedLayer(layer({ certificate: certificateDer('alice'), email: ['alice@example.com'] }), now, 'alice@example.com');
  assert.equal(real?.keyChange, undefined, 'the real key is not PENDING');
  const state = Object.fromEntries(book.correspondent('alice@example.com')!.certificates.map((c) => [c.fingerprint, c.accepted]));
  assert.deepEqual(state, { [certificateFingerprint(certificateDer('eve'))]: false, [certificateFingerprint(certificateDer('alice'))]: true });
  // A second validated certificate with another key for alice is a key change, as before.
  const [other] = book.add(certificateDer('bob'), 'signed-mail', now, ['alice@example.com'], true);
  assert.equal(other?.keyChange?.kind, 'new-key');
});
