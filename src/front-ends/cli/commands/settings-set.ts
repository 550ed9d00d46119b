/** cachet settings set KEY VALUE — change one of your settings (not one the policy locks). */
import { CachetError } from '../../../errors.js';
import { parseSettingValue, updateSetting } from '../../../adapters/policy/policy.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { policyLocation } from './policy-show.js';

const command: CliCommand = {
  help: `usage: cachet settings set KEY VALUE

KEY is enableSigning, enableEncryption or encryptByDefault; VALUE true or false.
Exit status 7 when the admin's policy locks the key, 2 for an unknown key or a bad value.`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, { as: { type: 'string' } }, { positionals: true });
    const [key, text] = positionals;
    if (key === undefined || text === undefined || positionals.length !== 2) throw new CachetError('ERR_USAGE', 'usage: cachet settings set KEY VALUE');
    const result = await updateSetting(await policyLocation(context, values.as), key, parseSettingValue(key, text));
    context.stdout.write(`${result.key} is now ${JSON.stringify(result.value)}\n`);
    return 0;
  },
};

export default command;
