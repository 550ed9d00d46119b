/** cachet settings show [--json] — the user's S/MIME settings (a view of `policy show`). */
import { loadEffectivePolicy, POLICY_KEYS } from '../../../adapters/policy/policy.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { policyLocation } from './policy-show.js';

const command: CliCommand = {
  help: `usage: cachet settings show [--json]

Shows enableSigning, enableEncryption and encryptByDefault, and whether the policy locks them.`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, { json: { type: 'boolean' }, as: { type: 'string' } });
    const policy = await loadEffectivePolicy(await policyLocation(context, values.as));
    const settings = policy.values.filter((v) => POLICY_KEYS[v.key].kind === 'setting');
    if (values.json) context.stdout.write(`${JSON.stringify({ settings })}\n`);
    else for (const v of settings) context.stdout.write(`${v.key}: ${JSON.stringify(v.value)}${v.origin === 'policy' ? ' (locked by policy)' : v.origin === 'default' ? ' (default)' : ''}\n`);
    return 0;
  },
};

export default command;
