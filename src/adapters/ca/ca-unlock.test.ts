import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCachetError } from '../../errors.js';
import { CaUnlock } from './ca-unlock.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-ca-unlock-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('CaUnlock', () => {
  test('each secret is asked for once, and only when a key needs it', async () => {
    let asked = 0;
    const unlock = new CaUnlock({ passphrase: async () => `passphrase-${++asked}` });
    assert.equal(asked, 0);
    assert.equal(await unlock.passphrase(), 'passphrase-1');
    assert.equal(await unlock.passphrase(), 'passphrase-1');
    assert.equal(asked, 1);
    await assert.rejects(unlock.pin(), (e) => isCachetError(e, 'ERR_PASSWORD_REQUIRED') && /CACHET_TOKEN_PIN/.test(e.message));
    await assert.rejects(new CaUnlock({}).passphrase(), (e) => isCachetError(e, 'ERR_PASSWORD_REQUIRED'));
  });

  test('the CA vault: created on request, opened once, a wrong passphrase says "CA passphrase"', async () => {
    const path = join(dir, 'ca.vault');
    await assert.rejects(CaUnlock.withPassphrase('right passphrase').vault(path), (e) => isCachetError(e, 'ERR_VAULT_NOT_FOUND') && /CA keys are gone/.test(e.message));
    const unlock = CaUnlock.withPassphrase('right passphrase');
    const vault = await unlock.vault(path, { create: true });
    await vault.persist();
    assert.equal(existsSync(path), true);
    assert.equal(await unlock.vault(path), vault, 'opened once per command');
    await assert.rejects(CaUnlock.withPassphrase('wrong passphrase').vault(path), (e) => isCachetError(e, 'ERR_VAULT_BAD_PASSPHRASE') && /the CA passphrase is wrong/.test(e.message));
  });
});
