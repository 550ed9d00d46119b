/**
 * cachet directory login — checks a bind to the policy's directory and keeps the bind DN and password
 * in the user's credential vault, where lookups and sending find them.
 */
import { directoryLogin } from '../../../use-cases/directory-login.js';
import { loadEffectivePolicy } from '../../../adapters/policy/policy.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';
import { readSecret } from '../secrets.js';
import { cachetHome } from '../trust.js';
import { personalHome } from '../personal-home.js';
import { openUserStore } from '../vault-passphrase.js';

const help = `usage: cachet directory login [--bind-dn DN] [--password-file F] [--as ADDRESS] [--passphrase-file F]

For a directory the policy opens to bound access only (ldapAnonymous: false): binds once with the DN
(the policy's ldapBindDn, or --bind-dn when the policy leaves it to each user) and the password (from
--password-file, CACHET_LDAP_PASSWORD or a prompt), and only when the directory accepts them keeps both
in your credential vault. "cachet lookup" and sending then bind with them; "cachet directory logout"
forgets them.

Exit statuses: 0 kept · 1 the directory refused the DN or password (nothing kept) · 2 usage ·
6 the directory cannot be reached (nothing kept) · 7 another DN than the policy's`;

const options = {
  'bind-dn': { type: 'string' },
  'password-file': { type: 'string' },
  as: { type: 'string' },
  'passphrase-file': { type: 'string' },
} as const;

const command: CliCommand = {
  help,
  async run(args, context) {
    const { values } = parseCommandArgs(args, options);
    const home = cachetHome(context);
    const personal = await personalHome(context, values.as);
    const policy = await loadEffectivePolicy({ home, settingsHome: personal, policyFile: context.env.CACHET_POLICY });
    const { url, bindDn } = await directoryLogin(
      policy,
      home,
      () => openUserStore({ ...context, env: { ...context.env, CACHET_HOME: personal } }, { passphraseFile: values['passphrase-file'], createIfMissing: true }),
      { bindDn: values['bind-dn'], password: (bindDn) => readSecret({ file: values['password-file'], envVar: 'CACHET_LDAP_PASSWORD', promptLabel: `Directory password for ${bindDn}` }, context) },
    );
    context.stdout.write(`the directory ${url} accepted ${bindDn}; its password is kept in your credential vault\n`);
    return 0;
  },
};

export default command;
