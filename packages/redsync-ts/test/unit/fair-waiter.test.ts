/**
 * The fair lock's waiter bookkeeping, alone: a grant's validity counts from the send time of the
 * registration it names, a majority is needed, and a grant given back stays given back when its
 * message arrives late (the defect the torture row 'fair lock: kill minority, AOF restart' found:
 * a waiter that gave its minority grants back counted them again from messages still in flight).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FairContext } from '../../src/fair/rounds.js';
import { FairWaiter } from '../../src/fair/waiter.js';

function context(nodes: number, clock: () => number): FairContext {
  const lock = { nodes: Array.from({ length: nodes }, () => ({})), quorum: Math.floor(nodes / 2) + 1, clock, options: { driftFactor: 0 } };
  return { lock, ttl: 1000, ttlArg: '1000', waiterLease: 1000, keys: ['k', '{k}:queue', '{k}:waiters'], lease: {} } as unknown as FairContext;
}

describe('fair lock waiter', () => {
  test('validity counts from the registration the grant names; a majority is needed', () => {
    let now = 0;
    const waiter = new FairWaiter(context(3, () => now));
    now = 100;
    const first = waiter.nextSeq();
    now = 400;
    const second = waiter.nextSeq();
    waiter.granted(0, second);
    assert.equal(waiter.heldUntil(now), undefined, 'one of three nodes');
    waiter.granted(1, first);
    assert.equal(waiter.heldUntil(now), 100 + 1000 - 2, 'the older registration bounds the hold');
  });

  test('grants given back are not counted again when their messages arrive late', () => {
    let now = 0;
    const waiter = new FairWaiter(context(3, () => now));
    const before = waiter.nextSeq();
    waiter.granted(0, before);
    assert.equal(waiter.heldUntil(now), undefined);
    waiter.forget(false);
    waiter.granted(1, before);
    waiter.granted(2, before);
    assert.equal(waiter.heldUntil(now), undefined, 'late messages for grants given back');
    now = 10;
    const after = waiter.nextSeq();
    waiter.granted(1, after);
    waiter.granted(2, after);
    assert.equal(waiter.heldUntil(now), 10 + 1000 - 2);
  });
});
