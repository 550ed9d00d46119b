// Runs the CLI from source (through tsx) — for tests that need a real process, and for development:
//   node --import tsx src/front-ends/cli/main-dev.ts verify -i message.eml
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2));
