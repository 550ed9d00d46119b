/**
 * One `cachet send` in its own process, so that its peak RSS is its own (send-memory.test.ts):
 *   send-memory-child.ts HOME ATTACHMENT
 * sends ATTACHMENT from alice to bob, signed and encrypted, and prints one JSON line:
 * {"status", "stdout", "stderr", "maxRssMb"}.
 */
import { runCachet } from '../helpers/cli.js';

const [home, attachment] = process.argv.slice(2);
const sent = await runCachet(
  ['send', '--as', 'alice@example.com', '--to', 'bob@example.com', '--subject', 'large', '--attach', attachment!, '--sign', '--encrypt', '--json'],
  { env: { CACHET_HOME: home, CACHET_VAULT_PASSPHRASE: process.env.CACHET_VAULT_PASSPHRASE }, stdin: 'See the attachment.\n' },
);
process.stdout.write(`${JSON.stringify({ status: sent.status, stdout: sent.stdout, stderr: sent.stderr, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
