/**
 * One reading in its own process, so that its peak RSS is its own:
 *   read HOME ADDRESS ID SAVE_DIR  — `cachet read ID --as ADDRESS --json --save-attachments SAVE_DIR`
 *   open FILE                      — `cachet open --json -i FILE -o /dev/null`
 * Prints one JSON line: {"maxRssMb", "status", "stdout"}.
 */
import { runCachet } from '../helpers/cli.js';

const [operation, ...args] = process.argv.slice(2);
let run;
if (operation === 'read') {
  const [home, address, id, saveDir] = args;
  run = await runCachet(['read', id!, '--as', address!, '--json', '--save-attachments', saveDir!], { env: { CACHET_HOME: home } });
} else {
  run = await runCachet(['open', '--json', '-i', args[0]!, '-o', '/dev/null'], { env: {} });
}
process.stdout.write(`${JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024, status: run.status, stdout: run.stdout, stderr: run.stderr })}\n`);
