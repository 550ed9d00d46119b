import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCachetError } from '../../errors.js';
import { addressFilter, lookupInDirectory } from './ldap-lookup.js';

test('filter values are escaped per RFC 4515: *, (, ), \\ and NUL never change the filter', () => {
  assert.equal(addressFilter('alice@example.com').toString(), '(|(mail=alice@example.com)(proxyAddresses=smtp:alice@example.com))');
  const hostile = addressFilter('*)(uid=*').toString();
  assert.equal(hostile, '(|(mail=\\2a\\29\\28uid=\\2a)(proxyAddresses=smtp:\\2a\\29\\28uid=\\2a))');
  assert.match(addressFilter('a\\b\u0000@x').toString(), /mail=a\\5cb\\00@x/);
});

test('configuration mistakes are usage errors, before any connection', async () => {
  const base = { baseDn: 'dc=x', anonymous: true };
  await assert.rejects(lookupInDirectory({ ...base, url: 'http://x' }, ['a@x']), (e) => isCachetError(e, 'ERR_USAGE'));
  await assert.rejects(lookupInDirectory({ ...base, url: 'ldaps://x', startTls: true }, ['a@x']), (e) => isCachetError(e, 'ERR_USAGE'));
  await assert.rejects(lookupInDirectory({ url: 'ldap://x', baseDn: 'dc=x', anonymous: false }, ['a@x']), (e) => isCachetError(e, 'ERR_USAGE'));
});

test('a refused connection is ERR_DIRECTORY_UNREACHABLE naming the server', async () => {
  await assert.rejects(lookupInDirectory({ url: 'ldap://127.0.0.1:1', baseDn: 'dc=x', anonymous: true, timeoutMs: 1000 }, ['a@x']), (e) => isCachetError(e, 'ERR_DIRECTORY_UNREACHABLE') && e.message.includes('127.0.0.1:1'));
});
