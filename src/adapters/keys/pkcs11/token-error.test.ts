import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenError } from './token.js';

test('PKCS#11 return values become the errors a user can act on', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['C_Login: CKR_PIN_INCORRECT', 'ERR_TOKEN_PIN_INCORRECT', /PIN is wrong/],
    ['C_Login: CKR_PIN_LEN_RANGE', 'ERR_TOKEN_PIN_INCORRECT', /PIN is wrong/],
    ['C_Login: CKR_PIN_LOCKED', 'ERR_TOKEN_PIN_LOCKED', /locked.*administrator/],
    ['C_OpenSession: CKR_TOKEN_NOT_PRESENT', 'ERR_TOKEN_ABSENT', /not present/],
    ['C_Sign: CKR_DEVICE_REMOVED', 'ERR_TOKEN_ABSENT', /not present/],
    ['C_Sign: CKR_FUNCTION_FAILED', 'ERR_TOKEN_FAILURE', /failed while signing: C_Sign: CKR_FUNCTION_FAILED/],
  ];
  for (const [message, code, text] of cases) {
    const error = tokenError(new Error(message), 'signing');
    assert.equal(error.code, code, message);
    assert.match(error.message, text);
  }
});
