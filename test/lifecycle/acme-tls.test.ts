/**
 * Issue 17, the ACME server over HTTPS itself (`cachet ca acme --tls-cert F --tls-key F`, RFC 8555
 * §6.1): npm's acme-client, trusting only the test CA, opens an account and places an order over
 * HTTPS; every URL the directory gives is https. SIGHUP reads the certificate files again: the next
 * handshake shows the new certificate, no restart. A plain HTTP request to the TLS port gets nothing.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import acme from 'acme-client';
import { cachet, caWorkspace, openssl, startCachet, type CaWorkspace } from '../ca/support.js';
import { pkiFile } from '../helpers/pki.js';
import { waitFor } from '../helpers/wait.js';

let ws: CaWorkspace;
let server: Awaited<ReturnType<typeof startCachet>> | undefined;
let directoryUrl: string;
const caPem = () => readFileSync(pkiFile('ca.pem'), 'utf8');

before(async () => {
  ws = caWorkspace('cachet-acme-tls-');
  const env = { ...ws.env, CACHET_CA_PASSPHRASE: 'correct horse battery' };
  assert.equal((await cachet(['ca', 'init', '--key', 'ec-p256', '--passphrase-file', ws.passphraseFile], env)).status, 0);
  copyFileSync(pkiFile('localhost.pem'), ws.path('tls.pem'));
  copyFileSync(pkiFile('localhost.key'), ws.path('tls.key'));
  mkdirSync(ws.path('mail'));
  server = await startCachet(['ca', 'acme', '--port', '0', '--from', 'acme@example.com', '--maildir-root', ws.path('mail'), '--reply-maildir', ws.path('mail/acme'),
    '--tls-cert', ws.path('tls.pem'), '--tls-key', ws.path('tls.key')], env, /ACME server listening/);
  directoryUrl = /directory (https:\S+);/.exec(server.output())![1]!;
});
after(async () => {
  await server?.stop();
  ws?.remove();
});

/** The serial number of the certificate the server shows in a TLS handshake. */
async function servedSerial(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca: caPem(), servername: 'localhost' }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on('error', reject);
  });
}

describe('cachet ca acme over HTTPS', () => {
  test('acme-client, trusting the test CA, opens an account and orders over HTTPS', async () => {
    assert.match(directoryUrl, /^https:\/\/127\.0\.0\.1:\d+\/acme\/directory$/);
    acme.axios.defaults.httpsAgent = new Agent({ ca: caPem() });
    try {
      const client = new acme.Client({ directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey('P-256') });
      await client.createAccount({ termsOfServiceAgreed: true });
      const order = await client.createOrder({ identifiers: [{ type: 'email', value: 'alice@example.com' }] } as Parameters<acme.Client['createOrder']>[0]);
      assert.equal(order.status, 'pending');
      assert.match(order.finalize, /^https:\/\//);
      const [authz] = await client.getAuthorizations(order);
      assert.match((authz!.challenges[0] as { url: string }).url, /^https:\/\//);
    } finally {
      acme.axios.defaults.httpsAgent = undefined;
    }
    // Nothing is served in clear on that port.
    await assert.rejects(fetch(directoryUrl.replace('https:', 'http:')));
  });

  test('SIGHUP: a renewed certificate in the same files is served at the next handshake', async () => {
    const before = await servedSerial(directoryUrl);
    assert.equal(before, new X509Certificate(readFileSync(pkiFile('localhost.pem'))).serialNumber);
    // A renewed server certificate: same key, same names, new serial, from the test CA.
    writeFileSync(ws.path('renew.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    const csr = openssl(['req', '-new', '-key', ws.path('tls.key'), '-subj', '/CN=localhost', '-out', ws.path('renew.csr')]);
    assert.equal(csr.status, 0, csr.stderr);
    const signed = openssl(['x509', '-req', '-in', ws.path('renew.csr'), '-CA', pkiFile('ca.pem'), '-CAkey', pkiFile('ca.key'), '-set_serial', '0x5eed', '-days', '30', '-extfile', ws.path('renew.ext'), '-out', ws.path('renewed.pem')]);
    assert.equal(signed.status, 0, signed.stderr);
    copyFileSync(ws.path('renewed.pem'), ws.path('tls.pem'));
    server!.child.kill('SIGHUP');
    await waitFor(() => /TLS certificate reloaded/.test(server!.output()), 'the server saying it reloaded its TLS certificate');
    assert.equal(await servedSerial(directoryUrl), '5EED');
    // A broken file on the next SIGHUP keeps the certificate being served.
    writeFileSync(ws.path('tls.pem'), 'not a certificate');
    server!.child.kill('SIGHUP');
    await waitFor(() => /TLS certificate NOT reloaded/.test(server!.output()), 'the server saying it kept its TLS certificate');
    assert.match(server!.output(), /TLS certificate NOT reloaded: the new TLS certificate and key cannot be used/);
    assert.equal(await servedSerial(directoryUrl), '5EED');
    assert.equal(server!.child.exitCode, null, 'the server still runs');
  });
});
