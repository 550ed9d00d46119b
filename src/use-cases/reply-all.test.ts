import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replyAllRecipients } from './reply-all.js';

test('reply all: the sender and the other recipients, never the user, each once; Cc stays Cc', () => {
  const recipients = replyAllRecipients(
    { from: 'Bob Smith <Bob@Example.org>', to: 'alice@example.com, "Doe, Carol" <carol@example.org>, bob@example.org', cc: 'ALICE@example.com, dave@example.org, carol@example.org' },
    ['alice@example.com'],
  );
  assert.deepEqual(recipients, { to: ['bob@example.org', 'carol@example.org'], cc: ['dave@example.org'] });
});

test("reply all to one's own sent message goes to its recipients; unreadable items are not recipients", () => {
  assert.deepEqual(replyAllRecipients({ from: 'alice@example.com', to: 'bob@example.org, not an address', cc: null }, ['alice@example.com']), { to: ['bob@example.org'], cc: [] });
});
