import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { digestInText, keyAuthorization, responseDigest, responseText, tokenPart1OfSubject } from './acme-email-challenge.js';
import { jwkThumbprint } from './acme-jws.js';

// RFC 8823 §3's example challenge: the Subject's token-part1 (with its base64 padding) and the
// challenge object's token-part2.
const RFC_TOKEN_PART1 = 'LgYemJLy3F1LDkiJrdIGbEzyFJyOyf6vBdyZ1TG3sME=';
const RFC_TOKEN_PART2 = 'DGyRejmCefe7v4NfDGDKfA';

describe('RFC 8823 email-reply-00 pieces', () => {
  test('token-part1 from the challenge subject and the reply subject, padding kept', () => {
    assert.equal(tokenPart1OfSubject(`ACME: ${RFC_TOKEN_PART1}`), RFC_TOKEN_PART1);
    assert.equal(tokenPart1OfSubject(`Re: ACME: ${RFC_TOKEN_PART1}`), RFC_TOKEN_PART1);
    assert.equal(tokenPart1OfSubject(`Fwd: ACME: ${RFC_TOKEN_PART1}`), undefined);
    assert.equal(tokenPart1OfSubject('ACME: two words'), undefined);
  });

  test('key authorization = token-part1 || token-part2 || "." || thumbprint; the reply block, CRLF', () => {
    // RFC 7638 §3.1's example RSA key and its thumbprint.
    const thumbprint = jwkThumbprint({
      kty: 'RSA',
      e: 'AQAB',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
    });
    assert.equal(thumbprint, 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    const keyAuth = keyAuthorization(RFC_TOKEN_PART1, RFC_TOKEN_PART2, thumbprint);
    assert.equal(keyAuth, `${RFC_TOKEN_PART1}${RFC_TOKEN_PART2}.${thumbprint}`);
    const digest = responseDigest(keyAuth);
    assert.match(digest, /^[A-Za-z0-9_-]{43}$/, 'base64url SHA-256, no padding');
    const text = responseText(digest);
    assert.equal(text, `-----BEGIN ACME RESPONSE-----\r\n${digest}\r\n-----END ACME RESPONSE-----\r\n`);
    assert.equal(digestInText(`Hello\r\n\r\n${text}-- \r\nAlice\r\n`), digest);
    assert.equal(digestInText(text.replaceAll('\r\n', '\n')), digest, 'a client that sends LF line ends');
    assert.equal(digestInText('-----BEGIN ACME RESPONSE-----\r\n-----END ACME RESPONSE-----\r\n'), undefined);
  });
});
