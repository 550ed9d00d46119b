/** cachet policy show [--json] — every effective policy value and setting, and where it comes from. */
import { loadEffectivePolicy } from '../../../adapters/policy/policy.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand, CliContext } from '../context.js';
import { cachetHome } from '../trust.js';
import { personalHome } from '../personal-home.js';

/** The admin's policy (the home's) and the acting user's settings (their own directory). */
export async function policyLocation(context: CliContext, as?: string): Promise<{ home: string; settingsHome: string; policyFile: string | undefined }> {
  return { home: cachetHome(context), settingsHome: await personalHome(context, as), policyFile: context.env.CACHET_POLICY };
}

const command: CliCommand = {
  help: `usage: cachet policy show [--json]

Prints every policy key and user setting with its effective value and where it comes from: the
machine's system policy (/etc/cachet/policy.yaml, read first — locked), the admin's policy file
($CACHET_POLICY, or $CACHET_HOME/policy.yaml|json — locked), your settings
($CACHET_HOME/settings.json), or Cachet's default; with the file each value was read from.`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, { json: { type: 'boolean' }, as: { type: 'string' } });
    const policy = await loadEffectivePolicy(await policyLocation(context, values.as));
    if (values.json) {
      context.stdout.write(`${JSON.stringify({ values: policy.values, sources: policy.sources ?? {} })}\n`);
      return 0;
    }
    const width = Math.max(...policy.values.map((v) => v.key.length));
    for (const v of policy.values) {
      const source = policy.sources?.[v.key];
      context.stdout.write(`${v.key.padEnd(width)}  ${JSON.stringify(v.value).padEnd(28)}  ${v.origin}${v.locked && v.origin === 'policy' ? ' (locked)' : ''}${source ? `  ${source}` : ''}\n`);
    }
    return 0;
  },
};

export default command;
