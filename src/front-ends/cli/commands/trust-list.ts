/**
 * cachet trust list [--system] [--json]
 * Lists the trust anchors in the user's trust store (and, with --system, the system's).
 */
import { listTrustAnchors } from '../../../adapters/keys/trust-store.js';
import { parseCommandArgs } from '../args.js';
import { colonHex } from '../certificate-text.js';
import type { CliCommand } from '../context.js';
import { cachetHome } from '../trust.js';

const help = `usage: cachet trust list [--system] [--json]

Lists the CA certificates you trust ($CACHET_HOME/trust/, and your organisation's in
$CACHET_ORG_HOME/trust/ when set): subject, validity and SHA-256 fingerprint.

Options:
  --system  include the system's trust anchors (/etc/ssl/certs/ca-certificates.crt)
  --json    print {"anchors": [{"id", "subject", "notAfter", "source", "file"}]}

Exit statuses: 0 listed · 2 usage`;

const options = {
  system: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const anchors = await listTrustAnchors(cachetHome(context), { system: values.system === true, organisationHome: context.env.CACHET_ORG_HOME });
    if (values.json) {
      const list = anchors.map((a) => ({ id: a.id, subject: a.info.subject, issuer: a.info.issuer, notBefore: a.info.notBefore, notAfter: a.info.notAfter, isCa: a.info.isCa, source: a.source, file: a.file }));
      context.stdout.write(`${JSON.stringify({ anchors: list })}\n`);
      return 0;
    }
    if (anchors.length === 0) {
      context.stdout.write('no trusted certificates yet; add your organisation\'s root with "cachet trust add ROOT.pem"\n');
      return 0;
    }
    for (const a of anchors) {
      context.stdout.write(`${a.info.subject}${a.source === 'store' ? '' : ` [${a.source}]`}\n  valid until ${a.info.notAfter.slice(0, 10)}  SHA-256 ${colonHex(a.id)}\n`);
    }
    return 0;
  },
};

export default command;
