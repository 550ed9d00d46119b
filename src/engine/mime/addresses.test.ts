import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMailbox, parseMailboxes } from './addresses.js';

const addresses = (value: string) => parseMailboxes(value).map((m) => m.address);

test('RFC 5322 forms: name-addr, addr-spec, quoted strings, comments, groups, obs-route, IDN', () => {
  assert.deepEqual(addresses('Alice <Alice@Example.COM>'), ['alice@example.com']);
  assert.deepEqual(addresses('"Smith, Alice (CFO)" <alice@example.com>, bob@example.com (Bob)'), ['alice@example.com', 'bob@example.com']);
  assert.deepEqual(addresses('"john doe"@example.com'), ['"john doe"@example.com']);
  assert.deepEqual(addresses('alice@[192.0.2.1]'), ['alice@[192.0.2.1]']);
  assert.deepEqual(addresses('<@relay.example:alice@example.com>'), ['alice@example.com']);
  assert.deepEqual(addresses('Team: alice@example.com, bob@example.com;'), ['alice@example.com', 'bob@example.com']);
  assert.deepEqual(addresses('alice@bücher.example'), ['alice@xn--bcher-kva.example']);
  assert.deepEqual(addresses('alice (a comment (nested)) @ example.com'), ['alice@example.com']);
});

test('unreadable items stay in the list without an address, shown raw', () => {
  assert.deepEqual(addresses('alice@example.com =?utf-8?q?=3Cbob@example.com=3E?='), [undefined]);
  assert.deepEqual(addresses('Alice <alice@example.com> trailing'), [undefined]);
  assert.deepEqual(addresses('"unterminated <alice@example.com>'), [undefined]);
  assert.deepEqual(addresses('alice@example.com (open comment'), [undefined]);
  assert.deepEqual(addresses('a@b@example.com'), [undefined]);
  assert.deepEqual(addresses('alice@\u202Eexample.com'), [undefined], 'no bidi control inside an address');
  assert.equal(formatMailbox(parseMailboxes('alice@example.com =?utf-8?q?=3Cbob=3E?=')[0]!), 'alice@example.com =?utf-8?q?=3Cbob=3E?=');
});

test('display names are decoded after the address is read, and marked when they imitate another address', () => {
  const [box] = parseMailboxes('=?utf-8?q?Gr=C3=BC=C3=9Fe?= <alice@example.com>');
  assert.equal(box?.name, 'Grüße');
  assert.equal(box?.nameWarning, undefined);
  assert.equal(formatMailbox(box!), 'Grüße <alice@example.com>');
  assert.equal(parseMailboxes('alice@example.com <bob@example.com>')[0]?.nameWarning, 'looks-like-another-address');
  assert.equal(parseMailboxes('"alice@exam\u200Bple.com" <bob@example.com>')[0]?.nameWarning, 'looks-like-another-address');
  assert.equal(parseMailboxes('"Bob (bob@example.com)" <bob@example.com>')[0]?.nameWarning, undefined);
  assert.equal(parseMailboxes('"\u2067Bob\u2069" <bob@example.com>')[0]?.nameWarning, 'bidi-controls');
});
