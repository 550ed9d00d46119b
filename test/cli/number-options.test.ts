/**
 * Numbers on the command line (ports, days, seconds) are read by one rule (cli/args.ts): digits
 * only, in range, or a usage error (exit 2) naming the option — before anything is read or written.
 * Number() alone took "1e3" as 1000, "0x10" as 16 and "" as 0.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portOption, wholeNumberOption } from '../../src/front-ends/cli/args.js';
import { runCachet } from '../helpers/cli.js';

describe('the option readers', () => {
  test('whole numbers: digits only, at least the minimum', () => {
    assert.equal(wholeNumberOption(undefined, 'days', 'days'), undefined);
    assert.equal(wholeNumberOption('0', 'days', 'days'), 0);
    assert.equal(wholeNumberOption('30', 'days', 'days'), 30);
    for (const bad of ['', ' 7', '7 ', '-1', '1.5', '1e3', '0x10', 'ten', '99999999999999999999']) {
      assert.throws(() => wholeNumberOption(bad, 'expiring', 'days'), { code: 'ERR_USAGE', message: `--expiring needs a whole number of days (not "${bad}")` }, JSON.stringify(bad));
    }
    assert.throws(() => wholeNumberOption('0', 'idle-seconds', 'seconds', { min: 1 }), { code: 'ERR_USAGE', message: '--idle-seconds needs a whole number of seconds (1 or more) (not "0")' });
  });

  test('ports: 1 to 65535, and 0 only where a listener may take any free port', () => {
    assert.equal(portOption(undefined, 'imap-port'), undefined);
    assert.equal(portOption('993', 'imap-port'), 993);
    assert.equal(portOption('65535', 'imap-port'), 65535);
    assert.equal(portOption('0', 'port', { anyFreePort: true }), 0);
    for (const bad of ['0', '65536', '', '-1', '0x3e1', '9.3e2', 'imaps']) {
      assert.throws(() => portOption(bad, 'imap-port'), { code: 'ERR_USAGE', message: `--imap-port needs a TCP port number, 1 to 65535 (not "${bad}")` }, JSON.stringify(bad));
    }
  });
});

describe('the commands that take numbers', () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'cachet-number-options-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  for (const [args, message] of [
    [['ca', 'list', '--expiring', '1e3'], '--expiring needs a whole number of days (not "1e3")'],
    [['ca', 'renew', '--expiring=-5'], '--expiring needs a whole number of days (not "-5")'],
    [['ca', 'ocsp', '--port', '70000'], '--port needs a TCP port number, 0 to 65535 (not "70000")'],
    [['ca', 'issue', '--template', 'dual', '--email', 'a@example.com', '--days', '0', '--out', 'x.p12'], '--days needs a whole number of days (1 or more) (not "0")'],
    [['account', 'add', 'a@example.com', '--imap-host', 'imap.example.com', '--imap-port', '0x3e1'], '--imap-port needs a TCP port number, 1 to 65535 (not "0x3e1")'],
    [['lookup', 'a@example.com', '--timeout', '1.5'], '--timeout needs a whole number of milliseconds (1 or more) (not "1.5")'],
    [['ca', 'acme', '--port', '1e3', '--from', 'ca@example.com', '--local'], '--port needs a TCP port number, 0 to 65535 (not "1e3")'],
    [['cert', 'request', '--acme', 'http://127.0.0.1:1/dir', '--timeout', '0x10'], '--timeout needs a whole number of seconds (1 or more) (not "0x10")'],
    [['web', '--port', '99999'], '--port needs a TCP port number, 0 to 65535 (not "99999")'],
  ] as const) {
    test(args.slice(0, args[0] === 'web' ? 1 : 2).join(' '), async () => {
      const run = await runCachet([...args], { env: { CACHET_HOME: home } });
      assert.equal(run.status, 2, run.stdout + run.stderr);
      assert.ok(run.stderr.includes(message), run.stderr);
      assert.equal(existsSync(join(home, 'users')), false, 'nothing written: no user added');
    });
  }
});
