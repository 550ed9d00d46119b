/**
 * cachet sign [--signer FILE.p12 [--password-file F]] [--opaque] [-i IN] [-o OUT]
 * Signs a message (or a bare MIME entity) with the key and certificate of a PKCS#12 file, or without
 * --signer with the user's own signing credential from the certificate source the policy names.
 */
import { CachetError } from '../../../errors.js';
import type { DigestAlgorithm, Signer } from '../../../engine/keys.js';
import { signMessage } from '../../../engine/smime/sign.js';
import { parseCommandArgs } from '../args.js';
import { OWN_KEY_OPTIONS } from '../own-key-options.js';
import type { CliCommand, CliContext } from '../context.js';
import { loadCredentialFile } from '../credentials.js';
import { openInput, writeOutput } from '../io.js';

const help = `usage: cachet sign [--signer FILE.p12 [--password-file F]] [--opaque] [-i IN] [-o OUT]

Signs the message read from IN (default stdin) and writes the signed message to OUT (default stdout).
The message's Content-* fields and body are signed; From, To, Subject… stay outside.

Options:
  --signer FILE        PKCS#12 file with the signing key and certificate (or a PEM file holding
                       the private key and the certificate chain). Without it: your signing
                       certificate from your vault, token or the shared vault, as the policy's
                       certificateSource says (--passphrase-file, --pin-file, --as for those)
  --password-file F    file holding the PKCS#12 password (else $CACHET_PASSWORD, else a prompt)
  --opaque             application/pkcs7-mime signed-data instead of multipart/signed
  --digest ALG         sha256, sha384 or sha512 (default: sha256; sha384/sha512 for P-384/P-521)
  --pss                RSA-PSS instead of RSA PKCS#1 v1.5 for RSA keys
  -i, --in FILE        input message (default stdin)
  -o, --out FILE       output (default stdout); written only when signing succeeds

Exit statuses: 0 signed · 2 usage · 3 file I/O · 4 password · 1 other failure`;

const options = {
  signer: { type: 'string' },
  'password-file': { type: 'string' },
  opaque: { type: 'boolean' },
  digest: { type: 'string' },
  pss: { type: 'boolean' },
  in: { type: 'string', short: 'i' },
  out: { type: 'string', short: 'o' },
  ...OWN_KEY_OPTIONS,
} as const;

async function loadSigner(path: string, passwordFile: string | undefined, context: CliContext): Promise<Omit<Signer, 'digest' | 'rsaScheme'>> {
  const [credential, other] = await loadCredentialFile(path, passwordFile, context);
  // A second credential in the file (a separate encryption key) is announced as our encryption certificate.
  return { certificate: credential!.certificate, chain: credential!.chain, key: credential!.key, ...(other ? { encryptionCertificate: other.certificate } : {}) };
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const digest = values.digest?.toLowerCase().replace('-', '');
    if (digest !== undefined && !['sha256', 'sha384', 'sha512'].includes(digest)) {
      throw new CachetError('ERR_USAGE', `--digest must be sha256, sha384 or sha512 (Cachet never signs with ${values.digest})`);
    }
    const sign = async (base: Omit<Signer, 'digest' | 'rsaScheme'>): Promise<number> => {
      const signer: Signer = { ...base, ...(digest ? { digest: digest as DigestAlgorithm } : {}), ...(values.pss ? { rsaScheme: 'rsa-pss' as const } : {}) };
      await writeOutput(values.out, context, signMessage(openInput(values.in, context, { recycle: true }), { signers: [signer], mode: values.opaque ? 'opaque' : 'detached' }));
      return 0;
    };
    if (values.signer !== undefined) return sign(await loadSigner(values.signer, values['password-file'], context));
    // The key may live on a token or in the vault service: it stays open while the message is signed.
    // Loaded only here: the key sources bring the PKCS#11 binding and the vault client with them.
    const [{ withOwnKeys }, { signerFrom }] = await Promise.all([import('../own-keys.js'), import('../../../use-cases/credential-choice.js')]);
    return withOwnKeys(context, values, async ({ store, source, policy }) => sign(await signerFrom(store, policy, source)));
  },
};

export default command;
