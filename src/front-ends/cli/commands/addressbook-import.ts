/**
 * cachet addressbook import FILE... [--email ADDRESS] [--json] — certificates imported by hand:
 * PEM or DER certificates, or a certs-only PKCS#7 (.p7c/.p7b, DER or PEM); or `--message ID`, the
 * certificates of a certs-only message in the mailbox (never filed while reading: it is unsigned).
 */
import { readFile } from 'node:fs/promises';
import { AddressBook, type AddResult } from '../../../adapters/directory/address-book.js';
import { CachetError } from '../../../errors.js';
import { readCertsOnly } from '../../../engine/smime/certs-only.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand, CliContext } from '../context.js';
import { currentUser } from '../../../use-cases/users.js';
import { importCertificatesFromMessage } from '../../../use-cases/import-certificates.js';
import { oneLine } from '../terminal-text.js';
import { folderHolding } from '../message-options.js';
import { cachetHome } from '../trust.js';
import { personalHome } from '../personal-home.js';

const help = `usage: cachet addressbook import FILE... [--email ADDRESS] [--json]
       cachet addressbook import --message ID [--folder F] [--as USER] [--json]

Adds correspondents' certificates to your address book: PEM or DER certificates, or certs-only
PKCS#7 files (.p7c, .p7b). Each certificate is filed under the addresses it names, or under --email.
A certificate that replaces a known key or CA is kept PENDING, with a warning.

Options:
  --email ADDRESS  file the certificates under this address
  --message ID     import the certificates of this certs-only message (reading it never does: an
                   unsigned message may name anyone, so only you decide to trust what it carries)
  --folder F       the folder of --message (default: the INBOX, or the one folder holding that id)
  --json           print {"imported": [{"address", "fingerprint", "added", "keyChange"}]}

Exit statuses: 0 imported · 2 usage · 3 a file cannot be read · 5 a certificate cannot be read`;

const options = { email: { type: 'string' }, json: { type: 'boolean' }, as: { type: 'string' }, message: { type: 'string' }, folder: { type: 'string' } } as const;

async function certificatesIn(file: string): Promise<Uint8Array[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new CachetError('ERR_INPUT_READ', `cannot read ${file}`, { cause: error, details: { file } });
  }
  const text = bytes.toString('latin1');
  const certs = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  if (certs.length > 0) return certs;
  const pkcs7 = /-----BEGIN (?:PKCS7|CMS)-----([\s\S]*?)-----END (?:PKCS7|CMS)-----/.exec(text);
  const der = pkcs7 ? Buffer.from(pkcs7[1]!.replace(/\s+/g, ''), 'base64') : bytes;
  try {
    return await readCertsOnly(der);
  } catch {
    // Not a PKCS#7: take it as one DER certificate; the address book reads it and says if it cannot.
    return [der];
  }
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    if (values.message !== undefined) {
      if (positionals.length > 0 || values.email !== undefined) throw new CachetError('ERR_USAGE', 'give either --message ID or certificate files, not both');
      return printResults(await importFromMessage(values.message, values.folder, values.as, context), values.json === true, context);
    }
    if (positionals.length === 0) throw new CachetError('ERR_USAGE', 'give at least one certificate file to import');
    const now = new Date();
    // The files are read first: the book is locked only for the change itself.
    const certificates: Array<{ file: string; der: Uint8Array }> = [];
    for (const file of positionals) for (const der of await certificatesIn(file)) certificates.push({ file, der });
    const results: AddResult[] = await AddressBook.change(await personalHome(context, values.as), (book) =>
      certificates.flatMap(({ file, der }) => {
        try {
          return book.add(der, 'import', now, values.email ? [values.email] : undefined);
        } catch (error) {
          if (error instanceof CachetError && error.code === 'ERR_CERT_NOT_FOUND') throw new CachetError('ERR_USAGE', `a certificate in ${file} names no e-mail address; give --email ADDRESS`, { cause: error });
          if (error instanceof CachetError) throw error;
          throw new CachetError('ERR_CERT_MALFORMED', `${file} holds no readable certificate`, { cause: error, details: { file } });
        }
      }),
    );
    return printResults(results, values.json === true, context);
  },
};

async function importFromMessage(id: string, folder: string | undefined, as: string | undefined, context: CliContext): Promise<AddResult[]> {
  const user = await currentUser(cachetHome(context), as ?? context.env.CACHET_USER);
  const where = await folderHolding(user.mailbox, id, { folder });
  return importCertificatesFromMessage(user, where, id);
}

function printResults(results: AddResult[], json: boolean, context: CliContext): number {
  if (json) {
    context.stdout.write(`${JSON.stringify({ imported: results }, null, 2)}\n`);
    return 0;
  }
  for (const r of results) {
    context.stdout.write(`${r.added ? 'added' : 'already known'}: ${oneLine(r.address)} ${r.fingerprint}${r.keyChange ? ' (PENDING)' : ''}\n`);
    if (r.keyChange) context.stderr.write(`${oneLine(r.keyChange.message)}\n`);
  }
  return 0;
}

export default command;
