// Runs cachet from source (through tsx) — for tests that need a real process, and for development:
//   node --import tsx src/entry/dev.ts verify -i message.eml
import { runCachet } from './cachet.js';

process.exitCode = await runCachet(process.argv.slice(2));
