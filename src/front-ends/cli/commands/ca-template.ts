/**
 * cachet ca template list|show T [--json]
 */
import { CachetError } from '../../../errors.js';
import { getTemplate, listTemplates, type CertificateTemplate } from '../../../adapters/ca/templates.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';

const help = `usage: cachet ca template list [--json]
       cachet ca template show TEMPLATE [--json]

Lists the certificate templates, or shows one: key usages, extended key usage, policies, validity,
minimum key size and whether the private key may be exported.

Templates (by either name, in any case): ${listTemplates().map((t) => `${t.name} ("${t.equivalent}")`).join(', ')}.

Exit statuses: 0 shown · 2 usage or unknown template`;

const options = { json: { type: 'boolean' } } as const;

function describe(t: CertificateTemplate): string {
  return [
    `${t.name}  (${t.equivalent})`,
    `  ${t.description}`,
    `  profile:            ${t.profile}`,
    `  keyUsage (RSA):     ${t.keyUsage.rsa.join(', ')}`,
    `  keyUsage (EC):      ${t.keyUsage.ec.join(', ')}`,
    `  extendedKeyUsage:   ${t.extendedKeyUsage.join(', ')}`,
    `  policies:           ${t.certificatePolicies.join(', ')}`,
    `  validity:           ${t.validityDays} days (at most 825: BR §6.3.2)`,
    `  minimum key:        RSA ${t.minimumRsaBits} bits; EC ${t.allowedCurves.join(' or ')}`,
    `  exportable key:     ${t.exportableKey ? 'yes' : 'no'}`,
    `  key archival:       ${t.archivableKey ? 'allowed (cachet ca issue --archive-key)' : 'never'}`,
    `  default key type:   ${t.defaultKeyType}`,
  ].join('\n');
}

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, options, { positionals: true });
    const [action, name, extra] = positionals;
    if (extra !== undefined) throw new CachetError('ERR_USAGE', `unexpected argument "${extra}"`);
    if (action === 'list' && name === undefined) {
      const templates = listTemplates();
      if (values.json) context.stdout.write(`${JSON.stringify(templates)}\n`);
      else for (const t of templates) context.stdout.write(`${t.name.padEnd(16)} ${t.description}\n`);
      return 0;
    }
    if (action === 'show' && name !== undefined) {
      const template = getTemplate(name);
      context.stdout.write(values.json ? `${JSON.stringify(template)}\n` : `${describe(template)}\n`);
      return 0;
    }
    throw new CachetError('ERR_USAGE', 'usage: cachet ca template list | cachet ca template show TEMPLATE');
  },
};

export default command;
