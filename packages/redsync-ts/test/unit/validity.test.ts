import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { acquireRound } from '../../src/acquire-round.js';
import { isWon, roundsFor, type LockContext } from '../../src/lock-ops.js';
import { MUTEX_DEFAULTS } from '../../src/options.js';
import { monotonicNow, validUntil } from '../../src/validity.js';
import { fakeNode } from '../support/fake-node.js';

/** A context whose clock is advanced by hand; each node answer can move time forward. */
function contextWithClock(ttl: number, driftFactor: number): { ctx: LockContext; advance: (ms: number) => void } {
  let now = 1_000_000;
  const nodes = [fakeNode('ok'), fakeNode('ok'), fakeNode('ok')];
  const ctx: LockContext = {
    name: 'v',
    key: 'v',
    ttlArg: String(ttl),
    nodes,
    order: [0, 1, 2],
    quorum: 2,
    timeout: 60_000,
    renewalGroup: 'v',
    options: { ...MUTEX_DEFAULTS, ttl, driftFactor },
    clock: () => now,
    notifier: undefined,
    ...roundsFor({ quorum: 2, timeout: 60_000, clock: () => now, options: { ...MUTEX_DEFAULTS, ttl, driftFactor } }),
  };
  return { ctx, advance: (ms) => (now += ms) };
}

describe('validity', () => {
  test('validUntil = start + ttl - ttl * driftFactor - 2', () => {
    assert.equal(validUntil(1000, 8000, 0.01), 1000 + 8000 - 80 - 2);
    assert.equal(validUntil(0, 100, 0), 98);
  });

  test('a quorum that answers within the validity wins, with validUntil counted from before the first request', async () => {
    const { ctx, advance } = contextWithClock(1000, 0.01);
    const start = ctx.clock();
    const pending = acquireRound(ctx, 'value');
    advance(500);
    const result = await pending;
    assert.equal(result.validUntil, start + 1000 - 10 - 2);
    assert.equal(isWon(ctx, result), true);
  });

  test('a quorum that answers after the validity has run out loses: never hand back an expired lock', async () => {
    const { ctx, advance } = contextWithClock(1000, 0.01);
    const pending = acquireRound(ctx, 'value');
    advance(988);
    const result = await pending;
    assert.ok(result.round.ok >= ctx.quorum, 'a quorum voted for it');
    assert.equal(isWon(ctx, result), false);
  });

  test('the clock is monotonic: a wall-clock jump does not move it', () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      const before = monotonicNow();
      const wallBefore = Date.now();
      mock.timers.setTime(wallBefore + 3_600_000);
      assert.equal(Date.now() - wallBefore, 3_600_000);
      const after = monotonicNow();
      assert.ok(after >= before && after - before < 3_600_000, 'monotonic clock followed the wall clock');
    } finally {
      mock.timers.reset();
    }
  });
});
