/**
 * cachet addressbook list [EMAIL...] [--json] — the correspondents' certificates the address book holds.
 */
import { AddressBook } from '../../../adapters/directory/address-book.js';
import { certificateInfo } from '../../../engine/pki/certificate-info.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { personalHome } from '../personal-home.js';
import { oneLine } from '../terminal-text.js';

const help = `usage: cachet addressbook list [EMAIL...] [--json]

Lists the certificates in your address book ($CACHET_HOME/address-book.json): harvested from validly
signed mail, from certs-only messages, or imported by hand. A certificate marked PENDING replaced a
known key or CA and is not used until you accept it ("cachet addressbook accept EMAIL FINGERPRINT").

Options:
  --json  print {"correspondents": [{"address", "certificates": [...], "capabilities", "encryptionKeyPreference"}]}

Exit statuses: 0 listed · 2 usage · 3 the address book cannot be read`;

const options = { json: { type: 'boolean' }, as: { type: 'string' } } as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    const book = await AddressBook.open(await personalHome(context, values.as));
    const wanted = positionals.map((a) => a.toLowerCase());
    const addresses = book.addresses().filter((a) => wanted.length === 0 || wanted.includes(a));
    const list = addresses.map((address) => {
      const entry = book.correspondent(address)!;
      return {
        address,
        certificates: entry.certificates.map((c) => {
          const info = certificateInfo(Buffer.from(c.der, 'base64'));
          return { fingerprintSha256: c.fingerprint, subject: info.subject, issuer: info.issuer, notAfter: info.notAfter, role: info.role, origin: c.origin, accepted: c.accepted, firstSeen: c.firstSeen, lastSeen: c.lastSeen };
        }),
        capabilities: entry.capabilities ?? null,
        encryptionKeyPreference: entry.encryptionKeyPreference ?? null,
      };
    });
    if (values.json) {
      context.stdout.write(`${JSON.stringify({ correspondents: list }, null, 2)}\n`);
      return 0;
    }
    if (list.length === 0) {
      context.stdout.write('the address book is empty\n');
      return 0;
    }
    for (const c of list) {
      context.stdout.write(`${c.address}\n`);
      for (const cert of c.certificates) {
        const preferred = c.encryptionKeyPreference?.fingerprint === cert.fingerprintSha256 ? ' [preferred for encryption]' : '';
        context.stdout.write(`  ${cert.accepted ? '' : 'PENDING '}${oneLine(cert.subject)} (${cert.role}, until ${cert.notAfter.slice(0, 10)}, from ${cert.origin})${preferred}\n    SHA-256 ${cert.fingerprintSha256}\n`);
      }
      if (c.capabilities) context.stdout.write(`  capabilities (seen ${c.capabilities.seenAt}): ${c.capabilities.list.join(', ')}\n`);
    }
    return 0;
  },
};

export default command;
