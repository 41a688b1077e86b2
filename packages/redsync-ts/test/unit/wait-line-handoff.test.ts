/** WaitLine's handoffs: reservations, delivery, and the bounds on chains of them. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { setImmediate as flush } from 'node:timers/promises';
import type { LockContext } from '../../src/lock-ops.js';
import { YIELD_GRACE_MS } from '../../src/handoff-chain.js';
import { MAX_HANDOFFS, MAX_HANDOFF_CHAIN_MS, WaitLine, type HandedLock, type HandoffOffer } from '../../src/wait-line.js';
import { startClock, tick, time, watch } from '../support/wait-line-kit.js';

describe('WaitLine handoff reservations', () => {
  beforeEach(startClock);
  afterEach(() => mock.timers.reset());

  const offer = (value: string): HandoffOffer => ({ ctx: {} as LockContext, value });
  const grant: HandedLock = { value: 'held', validUntil: 1, start: 0 };

  test('reserve picks the earliest waiter that offered, and deliver hands it the grant', async () => {
    const line = new WaitLine(() => undefined);
    const [a, b] = [line.join(0), line.join(1)];
    const waitA = watch(a); // no offer: only wake-ups
    const waitB = watch(b, { offer: offer('b') });
    const reservation = line.reserve();
    assert.equal(reservation?.offer.value, 'b');
    assert.equal(line.reserve(), undefined, 'nobody else offered');
    assert.equal(reservation.deliver(grant), true);
    await waitB.done;
    assert.equal(waitB.woke(), grant);
    b.won(grant.validUntil); // what the caller does with a lock it was handed
    b.leave();
    line.notify('r1');
    await flush();
    assert.equal(waitA.woke(), 'attempt', 'the release after the handoff woke the other waiter');
  });

  test('a reserved waiter that aborts is not handed anything: deliver says so', async () => {
    const line = new WaitLine(() => undefined);
    const controller = new AbortController();
    const waiting = watch(line.join(0), { signal: controller.signal, offer: offer('a') });
    const reservation = line.reserve();
    controller.abort(new Error('gone'));
    await waiting.done;
    assert.match((waiting.woke() as Error).message, /gone/);
    assert.equal(reservation?.deliver(grant), false);
  });

  /** MAX_HANDOFFS + 1 offering waiters; hands the lock down the line while `admit` says so. */
  async function chain(line: WaitLine, between: number): Promise<{ handed: number; last: ReturnType<typeof watch> }> {
    const turns = Array.from({ length: MAX_HANDOFFS + 1 }, (_, seq) => line.join(seq));
    const waits = turns.map((turn, i) => watch(turn, { offer: offer(String(i)) }));
    let handed = 0;
    for (const [i, turn] of turns.entries()) {
      const reservation = line.reserve();
      if (reservation === undefined) return { handed, last: waits[i] as ReturnType<typeof watch> };
      assert.equal(reservation.deliver(grant), true);
      await waits[i]?.done;
      handed += 1;
      turn.won(grant.validUntil);
      turn.leave();
      time.now += between; // the hold
    }
    throw new Error('the chain was never cut');
  }

  test(`at most ${String(MAX_HANDOFFS)} handoffs in a row; a release heard makes room for more`, async () => {
    const line = new WaitLine(() => undefined);
    const { handed, last } = await chain(line, 0);
    assert.equal(handed, MAX_HANDOFFS);
    line.notify('r1'); // a real release: the next waiter is woken, not handed the lock
    await last.done;
    assert.equal(last.woke(), 'attempt', 'woken by the release, with no lock handed');
  });

  test(`the release that ends a chain wakes this process's head only after ${String(YIELD_GRACE_MS)} ms, unless Redis announces it first`, async () => {
    const line = new WaitLine(() => undefined);
    line.setConfirmed(0, true);
    const { last } = await chain(line, 0);
    line.releasedHere('r1');
    await flush();
    assert.equal(last.woke(), undefined, 'not at once: the other processes go first');
    tick(YIELD_GRACE_MS);
    await last.done;
    assert.equal(last.woke(), 'attempt', 'after the grace, with nobody announcing the release');
  });

  test('a yielding release heard from Redis wakes the head like anyone else', async () => {
    const line = new WaitLine(() => undefined);
    line.setConfirmed(0, true);
    const { last } = await chain(line, 0);
    line.releasedHere('r1');
    line.notify('r1'); // the release's own announcement, heard by every process at once
    await last.done;
    assert.equal(last.woke(), 'attempt');
  });

  test(`a chain of handoffs lasts at most ${String(MAX_HANDOFF_CHAIN_MS)} ms`, async () => {
    const line = new WaitLine(() => undefined);
    const { handed } = await chain(line, MAX_HANDOFF_CHAIN_MS / 2);
    assert.equal(handed, 2, 'handed at 0 and half the bound; refused once the bound was reached');
  });
});
