#!/usr/bin/env node
// `npm test` first: the Debian packages the tests need (scripts/install-system-deps.sh holds the list).
// Missing ones are installed when we run as root; otherwise the one command to run is named.
import { spawnSync } from 'node:child_process';

const SCRIPT = 'scripts/install-system-deps.sh';
if (spawnSync('sh', ['-c', 'command -v dpkg-query'], { stdio: 'ignore' }).status !== 0) {
  console.error('not a Debian system: install the packages listed in scripts/install-system-deps.sh yourself');
  process.exit(0);
}
const check = spawnSync('bash', [SCRIPT, '--check'], { encoding: 'utf8' });
if (check.status === 0) process.exit(0);
const missing = check.stdout.trim();
if (process.getuid?.() !== 0) {
  console.error(`the tests need these Debian packages: ${missing}\ninstall them once with: sudo bash ${SCRIPT}`);
  process.exit(1);
}
console.error(`installing the Debian packages the tests need: ${missing}`);
process.exit(spawnSync('bash', [SCRIPT], { stdio: 'inherit' }).status ?? 1);
