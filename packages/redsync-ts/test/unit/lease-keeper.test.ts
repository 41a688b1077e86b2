import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LockLostError } from '../../src/index.js';
import { Lease, type LeaseOwner } from '../../src/lease.js';
import { LeaseKeeper } from '../../src/lease-keeper.js';
import { roundsFor, type LockContext } from '../../src/lock-ops.js';
import { MUTEX_DEFAULTS, type ResolvedMutexOptions } from '../../src/options.js';
import { FakeClock } from '../support/fake-clock.js';
import { fakeNode, type Behavior, type FakeNode } from '../support/fake-node.js';

class Owner implements LeaseOwner {
  constructor(public validUntil: number) {}
  renewals: number[] = [];
  lostWith: LockLostError | undefined;
  renewed(validUntil: number): void {
    this.validUntil = validUntil;
    this.renewals.push(validUntil);
  }
  lost(error: LockLostError): void {
    this.lostWith = error;
  }
  /** The loss reason so far (a method, so assertions do not narrow the field for good). */
  reason(): string | undefined {
    return this.lostWith?.reason;
  }
}

function setup(behaviors: Behavior[], options: Partial<ResolvedMutexOptions> = {}) {
  const clock = new FakeClock();
  const keeper = new LeaseKeeper(clock);
  const nodes: FakeNode[] = behaviors.map(fakeNode);
  const resolved = { ...MUTEX_DEFAULTS, ttl: 3000, ...options };
  let n = 0;
  /** @param age ms since the lock's key was set (a lock passed on by a holder is not fresh) */
  const lease = (autoExtend = true, holdFor = Number.POSITIVE_INFINITY, age = 0): { lease: Lease; owner: Owner; key: string } => {
    const key = `k${String(++n)}`;
    const ctx: LockContext = {
      name: key,
      key,
      ttlArg: String(resolved.ttl),
      nodes,
      order: nodes.map((_, i) => i),
      quorum: Math.floor(nodes.length / 2) + 1,
      timeout: Math.floor(resolved.ttl * resolved.timeoutFactor),
      renewalGroup: 'one group', // every lease of a setup has the same options
      options: resolved,
      clock: () => clock.now(),
      notifier: undefined,
      ...roundsFor({ quorum: Math.floor(nodes.length / 2) + 1, timeout: Math.floor(resolved.ttl * resolved.timeoutFactor), clock: () => clock.now(), options: resolved }),
    };
    const now = clock.now();
    const owner = new Owner(now - age + resolved.ttl - resolved.ttl * resolved.driftFactor - 2);
    const l = new Lease(owner, ctx, 'v');
    keeper.keep(l, autoExtend, now + holdFor);
    return { lease: l, owner, key };
  };
  return { clock, keeper, nodes, lease };
}

describe('lease keeper (fake clock)', () => {
  test('renews at ttl * autoExtendFactor, then again after each confirmation', async () => {
    const { clock, nodes, lease } = setup(['ok', 'ok', 'ok']);
    const { lease: l } = lease();
    const initial = l.cohort?.validUntil ?? 0;
    await clock.advance(999);
    assert.deepEqual(nodes[0]?.batches, [], 'not before the renewal is due');
    await clock.advance(1);
    assert.deepEqual(nodes.map((n) => n.batches), [[1], [1], [1]]);
    const first = l.cohort?.validUntil ?? 0;
    assert.ok(first > initial, 'the renewal moved the validity');
    await clock.advance(1000);
    assert.deepEqual(nodes.map((n) => n.batches.length), [2, 2, 2]);
    assert.ok((l.cohort?.validUntil ?? 0) > first);
  });

  test('a lock that is not fresh (passed on) is renewed a period after its key was set, not after it joined', async () => {
    const { clock, nodes, lease } = setup(['ok', 'ok', 'ok']);
    lease(true, Number.POSITIVE_INFINITY, 800);
    await clock.advance(199);
    assert.deepEqual(nodes[0]?.batches, [], 'not before the renewal is due');
    await clock.advance(1);
    assert.deepEqual(nodes.map((n) => n.batches), [[1], [1], [1]]);
  });

  test('renewals due within a tenth of the period of the first go out with it, as one batch per node', async () => {
    const { clock, nodes, lease } = setup(['ok', 'ok', 'ok']);
    lease();
    await clock.advance(50);
    lease();
    lease();
    await clock.advance(1000);
    assert.deepEqual(nodes.map((n) => n.batches), [[3], [3], [3]]);
  });

  test('one timer however many leases are held', async () => {
    const { clock, keeper, lease } = setup(['ok']);
    for (let i = 0; i < 1000; i++) lease();
    assert.equal(clock.pending, 1);
    assert.equal(keeper.size, 1, 'one cohort renews them all');
    await clock.advance(1000);
    assert.equal(clock.pending, 1);
  });

  test('a transient failure is retried with growing backoff, never in a tight loop, until validity runs out', async () => {
    const { clock, nodes, lease } = setup(['error', 'error', 'error']);
    const { owner } = lease();
    const node = nodes[0]!;
    await clock.advance(1000);
    assert.equal(node.batches.length, 1);
    await clock.advance(24);
    assert.equal(node.batches.length, 1, 'first retry not before 25 ms');
    await clock.advance(1);
    assert.equal(node.batches.length, 2);
    await clock.advance(50);
    assert.equal(node.batches.length, 3);
    await clock.advance(100);
    assert.equal(node.batches.length, 4);
    assert.equal(owner.reason(), undefined);
    // validUntil = start + 3000 - 30 - 2; renewals stop counting once only the per-node timeout (150 ms) is left.
    await clock.advance(3000);
    assert.equal(owner.reason(), 'renewal-failed');
    assert.ok(node.batches.length < 20, `retries: ${String(node.batches.length)}`);
  });

  test('the validity deadline aborts without waiting for a round trip', async () => {
    const { clock, lease } = setup(['ok']);
    const { owner } = lease(false);
    await clock.advance(2960);
    assert.equal(owner.reason(), undefined);
    await clock.advance(10);
    assert.equal(owner.reason(), 'expired');
  });

  test('a renewal that finds the lock taken on a quorum loses it at once', async () => {
    const { clock, lease } = setup(['taken', 'taken', 'ok']);
    const { owner } = lease();
    await clock.advance(1000);
    assert.equal(owner.reason(), 'renewal-failed');
  });

  test('a member one node reports missing is still confirmed by the quorum: its cohort advances and keeps renewing', async () => {
    const { clock, nodes, lease } = setup(['ok', 'ok', 'ok']);
    const { lease: l, owner, key } = lease();
    nodes[2]!.missingKeys.add(key); // that node restarted empty: the key is gone there
    const initial = l.cohort?.validUntil ?? 0;
    // Five ttls: without the fix the cohort's validity stays put and the lock is lost after one.
    for (let period = 1; period <= 15; period++) await clock.advance(1000);
    assert.equal(owner.reason(), undefined, 'not lost: a quorum holds the key');
    assert.ok((l.cohort?.validUntil ?? 0) >= initial + 14_000, `validity advanced: ${String((l.cohort?.validUntil ?? 0) - initial)} ms`);
    assert.deepEqual(nodes.map((n) => n.batches.length), [15, 15, 15], 'one renewal per period, no tight retry loop');
  });

  test('in a mixed cohort, a member confirmed on its own outlives the cohort\'s shared validity; one confirmed nowhere is lost', async () => {
    // Node 0 fails; node 1 lacks the second lock: the first is confirmed on 1 and 2, the second only on 2.
    const { clock, nodes, lease } = setup(['error', 'ok', 'ok']);
    const { owner: kept } = lease();
    const { owner: dropped, key } = lease();
    nodes[1]!.missingKeys.add(key);
    await clock.advance(3000);
    assert.equal(kept.reason(), undefined, 'confirmed by a quorum at every renewal');
    assert.equal(dropped.reason(), 'renewal-failed');
    await clock.advance(3000);
    assert.equal(kept.reason(), undefined);
  });

  test('maxHold stops renewal and aborts', async () => {
    const { clock, nodes, lease } = setup(['ok']);
    const { owner } = lease(true, 2500);
    await clock.advance(2400);
    assert.equal(nodes[0]!.batches.length, 2);
    await clock.advance(100);
    assert.equal(owner.reason(), 'max-hold');
    const batches = nodes[0]!.batches.length;
    await clock.advance(5000);
    assert.equal(nodes[0]!.batches.length, batches, 'no renewal after maxHold');
  });

  test('forget stops renewals and the timer', async () => {
    const { clock, keeper, nodes, lease } = setup(['ok']);
    const { lease: l } = lease();
    await keeper.forget(l);
    assert.equal(clock.pending, 0);
    await clock.advance(5000);
    assert.deepEqual(nodes[0]!.batches, []);
  });
});
