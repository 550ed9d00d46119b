/**
 * cachet ca ocsp --port P [--host H] [--delegated] [--passphrase-file F]
 */
import { softwareKey } from '../../../engine/software-key.js';
import { publishCrl, publishRootCrl } from '../../../adapters/ca/crl.js';
import { issueResponderCertificate } from '../../../adapters/ca/issue.js';
import { generateKeyPairOf } from '../../../adapters/ca/key-pair.js';
import { startOcspResponder, type ResponderIdentity } from '../../../adapters/ca/ocsp-responder.js';
import { parseCommandArgs, portOption, required } from '../args.js';
import type { CliCommand } from '../context.js';
import { CA_SECRET_OPTIONS, caIssuer, caStore, caUnlock } from './ca-support.js';
import { untilStopped } from '../until-stopped.js';

const help = `usage: cachet ca ocsp --port P [--host H] [--delegated] [--passphrase-file F | --pin-file F]

Runs the CA's OCSP responder (RFC 6960) over HTTP until interrupted. It answers good, revoked or
unknown for certificates of the issuing CA, echoes the request nonce, and also serves the current
CRL at /crl and the issuing CA certificate at /ca.crt. With an intermediate, it also answers for the
intermediate itself (signed by the root) and serves the root's CRL at /root.crl and the root at
/root.crt.

Options:
  --port P             the TCP port (0: any free port; the URL is printed)
  --host H             the address to listen on (default 127.0.0.1)
  --delegated          sign responses with a fresh delegated responder certificate (id-kp-OCSPSigning,
                       valid 2 days) instead of the CA key itself
  --passphrase-file F  the CA passphrase (else $CACHET_CA_PASSPHRASE, else a prompt)
  --pin-file F         for a CA whose keys are on a token: its PIN (else $CACHET_TOKEN_PIN, else a prompt)

Exit statuses: 0 stopped · 1 no CA · 2 usage (port in use) · 4 passphrase`;

const options = {
  port: { type: 'string' },
  host: { type: 'string' },
  delegated: { type: 'boolean' },
  ...CA_SECRET_OPTIONS,
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const port = portOption(required(values.port, 'port'), 'port', { anyFreePort: true })!;
    const store = caStore(context);
    // The token session (if any) stays open while the responder runs: it signs every response.
    const unlock = caUnlock(values, context);
    try {
      const issuer = await caIssuer(store, unlock);
      const root = (await store.settings()).intermediate ? await store.loadKeyPair('root', unlock) : undefined;
      let responder: ResponderIdentity = { certificate: issuer.certificate, key: issuer.key, delegated: false };
      if (values.delegated) {
        const keyPair = await generateKeyPairOf('ec-p256');
        responder = { certificate: await issueResponderCertificate(issuer, keyPair.spki), key: softwareKey(keyPair.privateKey), delegated: true };
      }
      const running = await startOcspResponder(store, responder, {
        port,
        host: values.host ?? '127.0.0.1',
        log: (line) => context.stderr.write(`${new Date().toISOString()} ${line}\n`),
        refreshCrl: () => publishCrl(store, issuer),
        ...(root ? { root: { certificate: root.certificate, key: root.key, delegated: false }, refreshRootCrl: () => publishRootCrl(store, root) } : {}),
      });
      context.stdout.write(`OCSP responder listening on ${running.url} (${responder.delegated ? 'delegated responder certificate' : 'signed by the CA key'})\n`);
      await untilStopped();
      await running.close();
    } finally {
      unlock.close();
    }
    return 0;
  },
};

export default command;
