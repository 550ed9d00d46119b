import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isCachetError } from '../engine/errors.js';
import { applyGroupRule, auditFile, recordUnencryptedSend, resolveAsk } from './group-rule.js';

const missing = [{ address: 'bob@example.com', reason: 'no directory entry' }];

test('block (the default) refuses and names the recipients and why', () => {
  assert.deepEqual(applyGroupRule([]), { action: 'encrypt' });
  assert.throws(() => applyGroupRule(missing), (e) => isCachetError(e, 'ERR_RECIPIENT_CERT_MISSING') && /bob@example.com \(no directory entry\)/.test(e.message));
});

test('ask returns a decision request; declining is ERR_DOWNGRADE_REFUSED', () => {
  const decision = applyGroupRule(missing, 'ask');
  assert.equal(decision.action, 'ask');
  if (decision.action !== 'ask') return;
  assert.match(decision.question, /UNENCRYPTED/);
  assert.throws(() => resolveAsk(decision, false), (e) => isCachetError(e, 'ERR_DOWNGRADE_REFUSED'));
  assert.equal(resolveAsk(decision, true).action, 'send-unencrypted');
});

test('send-unencrypted warns, and the send is recorded in the audit file', async () => {
  const decision = applyGroupRule(missing, 'send-unencrypted');
  assert.equal(decision.action, 'send-unencrypted');
  if (decision.action === 'send-unencrypted') assert.match(decision.warning, /UNENCRYPTED.*bob@example.com/);
  const home = mkdtempSync(join(tmpdir(), 'cachet-audit-'));
  try {
    await recordUnencryptedSend(home, { recipients: ['alice@example.com', 'bob@example.com'], missing, decidedBy: 'policy', at: new Date('2026-01-01T00:00:00Z') });
    await recordUnencryptedSend(home, { recipients: ['bob@example.com'], missing, decidedBy: 'user', at: new Date('2026-01-02T00:00:00Z') });
    const lines = readFileSync(auditFile(home), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    assert.equal(lines[0].event, 'sent-unencrypted');
    assert.equal(lines[1].decidedBy, 'user');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('an unknown policy value is ERR_POLICY_INVALID', () => {
  assert.throws(() => applyGroupRule(missing, 'maybe' as never), (e) => isCachetError(e, 'ERR_POLICY_INVALID'));
});
