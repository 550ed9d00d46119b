/**
 * The service definitions in the repository, checked without installing anything: the systemd unit
 * passes `systemd-analyze verify`, and the Dockerfile is built from its own instructions without
 * Docker — each stage in a directory standing for its root, COPY and WORKDIR done as written, RUN
 * commands run (those that change the machine itself — apt-get, useradd, chown — are listed and left
 * out, and `npm ci` is the checkout's node_modules from the same package-lock.json plus the build it
 * runs), and the image's entry point then reads the image's configuration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseServerConfig } from '../../src/front-ends/server/config.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

test('the systemd unit passes systemd-analyze verify and runs cachet server with a check first', () => {
  const unit = join(REPO, 'deploy', 'cachet.service');
  const run = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr.trim(), '', 'no warnings either');
  const text = readFileSync(unit, 'utf8');
  assert.match(text, /^ExecStartPre=.* server --config \/etc\/cachet\/server\.yaml --check$/m);
  assert.match(text, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  assert.match(text, /^LoadCredential=kek:\/etc\/cachet\/kek$/m);
});

interface Instruction {
  op: string;
  args: string;
}

function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

test('the Dockerfile builds from its own instructions, and the image reads its configuration', { timeout: 600_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'cachet-dockerfile-'));
  const leftOut: string[] = [];
  try {
    const stages = new Map<string, string>();
    let root = '';
    let cwd = '/';
    let entrypoint: string[] = [];
    let cmd: string[] = [];
    let exposed = 0;
    const inRoot = (path: string, base = root) => join(base, path.startsWith('/') ? path : join(cwd, path));
    const mapArgs = (words: string[]) => words.map((w) => (w.startsWith('/') ? join(root, w) : w));
    for (const { op, args } of instructions(readFileSync(join(REPO, 'Dockerfile'), 'utf8'))) {
      switch (op) {
        case 'FROM': {
          const [image, , alias] = args.split(/\s+/);
          assert.match(image!, /^node:20-bookworm-slim$/, 'a pinned Node 20 base');
          root = join(work, `stage-${stages.size}`);
          mkdirSync(root);
          stages.set(alias ?? String(stages.size), root);
          cwd = '/';
          break;
        }
        case 'WORKDIR':
          cwd = args;
          mkdirSync(inRoot(args), { recursive: true });
          break;
        case 'COPY': {
          const words = args.split(/\s+/);
          const from = words[0]!.startsWith('--from=') ? stages.get(words.shift()!.slice('--from='.length)) : undefined;
          const dest = words.pop()!;
          for (const source of words) {
            const src = from ? join(from, source) : join(REPO, source);
            assert.ok(existsSync(src), `COPY source ${source} exists`);
            const target = dest.endsWith('/') || words.length > 1 ? join(inRoot(dest), source.split('/').pop()!) : inRoot(dest);
            mkdirSync(dirname(target), { recursive: true });
            cpSync(src, target, { recursive: true, verbatimSymlinks: true });
          }
          break;
        }
        case 'RUN':
          for (const step of args.split('&&').map((s) => s.trim())) {
            const words = step.split(/\s+/);
            if (/^(apt-get|useradd|chown)$/.test(words[0]!) || step.startsWith('rm -rf /var/lib/apt')) {
              leftOut.push(step);
            } else if (step === 'npm ci') {
              // The same lockfile's packages, and what npm ci's "prepare" runs: the build.
              symlinkSync(join(REPO, 'node_modules'), inRoot('node_modules'));
              execFileSync('npm', ['run', 'build', '--silent'], { cwd: inRoot('.'), stdio: 'pipe' });
            } else if (step.startsWith('npm prune')) {
              leftOut.push(step); // it would prune the shared node_modules behind the link
            } else {
              execFileSync(words[0]!, mapArgs(words.slice(1)), { cwd: inRoot('.'), stdio: 'pipe' });
            }
          }
          break;
        case 'EXPOSE':
          exposed = Number(args);
          break;
        case 'ENTRYPOINT':
          entrypoint = JSON.parse(args) as string[];
          break;
        case 'CMD':
          cmd = JSON.parse(args) as string[];
          break;
        case 'ENV':
        case 'USER':
        case 'VOLUME':
        case 'HEALTHCHECK':
        case 'STOPSIGNAL':
          break;
        default:
          assert.fail(`an instruction this test does not know: ${op}`);
      }
    }
    assert.deepEqual(leftOut.map((s) => s.split(/\s+/)[0]), ['apt-get', 'apt-get', 'rm', 'npm', 'useradd', 'chown']);
    // The image holds the built CLI, server and front end.
    for (const path of ['opt/cachet/dist/entry/cachet.js', 'opt/cachet/dist/front-ends/server/start.js', 'opt/cachet/dist/web-ui/index.html', 'etc/cachet/server.yaml']) {
      assert.ok(existsSync(join(root, path)), `${path} is in the image`);
    }
    const config = parseServerConfig(readFileSync(join(root, 'etc/cachet/server.yaml'), 'utf8'), '/etc/cachet/server.yaml');
    assert.equal(config.listen.port, exposed, 'it listens on the port the image exposes');
    // The entry point, as the container runs it, checks the image's configuration.
    const [program, ...rest] = [...entrypoint, ...cmd, '--check'];
    assert.equal(program, 'node');
    const check = spawnSync(process.execPath, mapArgs(rest), { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /the configuration is good/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
