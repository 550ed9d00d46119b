/**
 * cachet cert import FILE.p12 [--role signing|encryption|both] [--password-file F] [--passphrase-file F] [--force] [--json]
 * Imports the user's own credential into the vault, with the role its key usage allows.
 */
import { CachetError, isCachetError } from '../../../errors.js';
import { certificateInfo, type CertificateInfo } from '../../../engine/pki/certificate-info.js';
import type { PfxCredential } from '../../../engine/pkcs12/pfx-read.js';
import { parseCredentialRole, ROLE_QUESTION, usesOf, type CredentialRole, type StoredCredential } from '../../../adapters/keys/credential-store.js';
import { openUserStore } from '../vault-passphrase.js';
import { personalContext } from '../personal-home.js';
import { onlyArgument, parseCommandArgs } from '../args.js';
import { readCertificateFile } from '../certificate-files.js';
import type { CliCommand, CliContext } from '../context.js';

const help = `usage: cachet cert import FILE.p12 [--role signing|encryption|both] [--password-file F]
                          [--passphrase-file F] [--force] [--json]

Imports your certificate and private key from a PKCS#12 file (.p12, .pfx) into your credential vault
($CACHET_HOME/credentials.vault, created on the first import). The certificate's key usage decides its
role: a signing-only or encryption-only certificate is imported for that role automatically; a
dual-purpose one needs your choice — signing, encryption, or both (one certificate that signs and
decrypts, as Thunderbird and Outlook use it) — asked on a terminal, or given with --role in scripts.
Older encryption certificates stay in the vault, inactive, so that old mail can still be read.

Options:
  --role R             signing, encryption or both, for a dual-purpose certificate
  --password-file F    the PKCS#12 password (else $CACHET_PASSWORD, else a prompt)
  --passphrase-file F  the vault passphrase (else $CACHET_VAULT_PASSPHRASE, else a prompt)
  --as ADDRESS         the mail user whose vault it is (in a home with several users)
  --force              replace the active signing certificate without asking
  --json               print {"imported": [{"id", "role", "chosen", "subject", "email"}]}

Exit statuses: 0 imported · 1 not usable for S/MIME, role needed, or already present · 2 usage ·
3 file I/O · 4 wrong password or passphrase`;

const options = {
  role: { type: 'string' },
  'password-file': { type: 'string' },
  'passphrase-file': { type: 'string' },
  as: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

interface Planned {
  credential: PfxCredential;
  info: CertificateInfo;
  role: CredentialRole;
  /** How the role was decided: by the certificate itself, or by the user's choice. */
  decidedBy: 'certificate' | 'user';
}

function who(info: CertificateInfo): string {
  return info.emails[0] ?? info.subject;
}

async function askRole(info: CertificateInfo, context: CliContext): Promise<CredentialRole> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const role = parseCredentialRole(await context.prompt(`The certificate of ${who(info)} can both sign and encrypt. ${ROLE_QUESTION} `));
    if (role) return role;
  }
  throw new CachetError('ERR_CERT_ROLE_AMBIGUOUS', 'no role was chosen; answer "signing", "encryption" or "both", or give --role');
}

async function planRole(info: CertificateInfo, requested: CredentialRole | undefined, context: CliContext): Promise<Pick<Planned, 'role' | 'decidedBy'>> {
  if (info.role === 'none') {
    throw new CachetError('ERR_CERT_ROLE_UNUSABLE', `the certificate of ${who(info)} cannot be used for S/MIME: ${info.roleReasons.join('; ')}`, {
      details: { fingerprint: info.fingerprintSha256 },
    });
  }
  if (info.role === 'signing' || info.role === 'encryption') {
    if (requested !== undefined && requested !== info.role) {
      // "both" asks for a use the certificate's key usage does not allow.
      throw new CachetError('ERR_CERT_ROLE_UNUSABLE', `the certificate of ${who(info)} can only be used for ${info.role} (${info.roleReasons.join('; ')}), not for ${requested}`, {
        details: { fingerprint: info.fingerprintSha256 },
      });
    }
    return { role: info.role, decidedBy: 'certificate' };
  }
  if (requested !== undefined) return { role: requested, decidedBy: 'user' };
  if (context.interactive) return { role: await askRole(info, context), decidedBy: 'user' };
  throw new CachetError('ERR_CERT_ROLE_AMBIGUOUS', `the certificate of ${who(info)} is dual-purpose (${info.roleReasons.join('; ')}): choose its role with --role signing, --role encryption or --role both`, {
    details: { fingerprint: info.fingerprintSha256, choices: ['signing', 'encryption', 'both'] },
  });
}

function announce(plan: Planned, stored: StoredCredential): string {
  const base = `imported ${who(plan.info)}'s certificate (${stored.id.slice(0, 16)}) as your ${plan.role === 'both' ? 'signing and encryption' : plan.role} certificate`;
  if (plan.decidedBy === 'certificate') return `${base}: it is ${plan.role === 'signing' ? 'a signing-only' : 'an encryption-only'} certificate (${plan.info.roleReasons.join('; ')})`;
  return `${base}: it is dual-purpose and you chose ${plan.role === 'both' ? 'both signing and encryption' : plan.role}`;
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    const file = onlyArgument(positionals, 'name the PKCS#12 file to import');
    const requested = values.role === undefined ? undefined : parseCredentialRole(values.role);
    if (values.role !== undefined && requested === undefined) throw new CachetError('ERR_USAGE', `--role must be "signing", "encryption" or "both" (got "${values.role}")`);

    // Everything that can fail on the file's side (password, role) is decided before the vault is
    // opened, so a failed import leaves the vault exactly as it was.
    const contents = await readCertificateFile(file, values['password-file'], context);
    if (contents.kind !== 'pkcs12') throw new CachetError('ERR_PKCS12_NO_KEY', `${file} is a certificate without its private key; import a PKCS#12 (.p12, .pfx) file`);
    if (contents.credentials.length === 0) throw new CachetError('ERR_PKCS12_NO_KEY', `${file} holds no private key with its certificate`);
    const plans: Planned[] = [];
    for (const credential of contents.credentials) {
      const info = certificateInfo(credential.certificate);
      plans.push({ credential, info, ...(await planRole(info, requested, context)) });
    }

    const store = await openUserStore(await personalContext(context, values.as), { passphraseFile: values['passphrase-file'], createIfMissing: true });
    const imported: Array<{ plan: Planned; stored: StoredCredential }> = [];
    for (const plan of plans) {
      const credential = {
        certificate: plan.credential.certificate,
        chain: plan.credential.chain,
        privateKeyPkcs8: plan.credential.privateKeyPkcs8,
        role: plan.role,
        exportable: true,
        ...(plan.credential.friendlyName !== undefined ? { friendlyName: plan.credential.friendlyName } : {}),
      };
      let stored: StoredCredential;
      try {
        stored = await store.add(credential, { replaceActive: values.force === true });
      } catch (error) {
        const current = usesOf(plan.role).includes('signing') ? await store.active('signing') : undefined;
        const replaceable = isCachetError(error, 'ERR_CERT_EXISTS') && current !== undefined && (error as CachetError).details.id === current.id;
        if (!replaceable || !context.interactive) throw error;
        const answer = (await context.prompt(`Replace your signing certificate ${current.email[0] ?? current.subject} (${current.id.slice(0, 16)})? It stays in the vault, inactive. [y/N] `)).trim().toLowerCase();
        if (answer !== 'y' && answer !== 'yes') throw new CachetError('ERR_CERT_EXISTS', 'the signing certificate was not replaced; nothing was imported', { details: { id: current.id } });
        stored = await store.add(credential, { replaceActive: true });
      }
      imported.push({ plan, stored });
    }
    if (values.json) {
      const list = imported.map(({ plan, stored }) => ({ id: stored.id, role: stored.role, chosen: plan.decidedBy === 'user', subject: stored.subject, email: stored.email }));
      context.stdout.write(`${JSON.stringify({ imported: list })}\n`);
    } else {
      for (const entry of imported) context.stdout.write(`${announce(entry.plan, entry.stored)}\n`);
    }
    return 0;
  },
};

export default command;
