import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replyRecipients, replySubject } from './reply-all.js';

const all = { all: true };
const one = { all: false };

test('reply all: the sender and the other recipients, never the user, each once; Cc stays Cc', () => {
  const recipients = replyRecipients(
    { from: 'Bob Smith <Bob@Example.org>', to: 'alice@example.com, "Doe, Carol" <carol@example.org>, bob@example.org', cc: 'ALICE@example.com, dave@example.org, carol@example.org' },
    ['alice@example.com'],
    all,
  );
  assert.deepEqual(recipients, { to: ['bob@example.org', 'carol@example.org'], cc: ['dave@example.org'] });
});

test("reply all to one's own sent message goes to its recipients; unreadable items are not recipients", () => {
  assert.deepEqual(replyRecipients({ from: 'alice@example.com', to: 'bob@example.org, not an address', cc: null }, ['alice@example.com'], all), { to: ['bob@example.org'], cc: [] });
});

test('reply goes to the Reply-To when there is one (RFC 5322 §3.6.2), else to the From', () => {
  const original = { from: 'Bob <bob@example.org>', replyTo: 'Team <team@example.org>, "Doe, Carol" <carol@example.org>', to: 'alice@example.com, erin@example.org', cc: 'dave@example.org' };
  assert.deepEqual(replyRecipients(original, ['alice@example.com'], one), { to: ['team@example.org', 'carol@example.org'], cc: [] });
  assert.deepEqual(replyRecipients({ ...original, replyTo: null }, ['alice@example.com'], one), { to: ['bob@example.org'], cc: [] });
  // An unreadable Reply-To is no Reply-To: the From still gets the answer.
  assert.deepEqual(replyRecipients({ ...original, replyTo: 'undisclosed' }, ['alice@example.com'], one), { to: ['bob@example.org'], cc: [] });
});

test('reply all with a Reply-To: the Reply-To instead of the From, then the others; a list in both once', () => {
  const original = { from: 'bob@example.org', replyTo: 'list@example.org', to: 'list@example.org, alice@example.com', cc: 'bob@example.org' };
  assert.deepEqual(replyRecipients(original, ['alice@example.com'], all), { to: ['list@example.org'], cc: ['bob@example.org'] });
});

test("reply to one's own sent message goes to its recipients; to a Reply-To of one's own, too", () => {
  assert.deepEqual(replyRecipients({ from: 'alice@example.com', to: 'bob@example.org', cc: null }, ['alice@example.com'], one), { to: ['bob@example.org'], cc: [] });
  assert.deepEqual(replyRecipients({ from: 'carol@example.org', replyTo: 'Alice@Example.com', to: 'alice@example.com, bob@example.org', cc: null }, ['alice@example.com'], one), { to: ['bob@example.org'], cc: [] });
});

test('a reply subject has one Re:', () => {
  assert.equal(replySubject('Lunch'), 'Re: Lunch');
  assert.equal(replySubject('RE: re: Lunch'), 'Re: Lunch');
  assert.equal(replySubject(null), 'Re: ');
});
