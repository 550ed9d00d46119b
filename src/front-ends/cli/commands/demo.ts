/**
 * cachet demo — the reference flow on embedded defaults (see src/use-cases/demo.ts).
 */
import { runDemo } from '../../../use-cases/demo.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../context.js';

const command: CliCommand = {
  help: `usage: cachet demo

Runs Cachet's reference flow in a temporary home, with no server and no prompt: a CA issues
signing-only and encryption-only certificates to alice and bob, mails them the PKCS#12 files, each
imports them (roles detected automatically), alice sends bob a signed and encrypted mail, and bob
reads it. Exit status 0 only when bob's verdict is valid, trusted and encrypted.`,
  async run(args, context) {
    parseCommandArgs(args, {});
    const result = await runDemo((line) => context.stdout.write(`${line}\n`));
    const ok = result.status === 'valid' && result.encrypted;
    context.stdout.write(ok ? '\nDemo complete: the mail arrived encrypted, and its signature is valid and trusted.\n' : `\nDemo FAILED: bob's verdict was ${result.status}${result.encrypted ? '' : ', not encrypted'}.\n`);
    return ok ? 0 : 1;
  },
};

export default command;
