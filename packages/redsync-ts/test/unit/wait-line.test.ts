import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as flush } from 'node:timers/promises';
import type { LockContext } from '../../src/lock-ops.js';
import { MAX_HANDOFFS, WaitLine, type HandedLock, type Turn } from '../../src/wait-line.js';

const LONG = 60_000;

/** Starts a wait and records when it settles. */
function watch(turn: Turn, signal?: AbortSignal): { woken: () => boolean; done: Promise<unknown> } {
  let woken = false;
  const done = turn.wait(LONG, signal).then(
    () => (woken = true),
    (error: unknown) => error,
  );
  return { woken: () => woken, done };
}

/** A line with two waiting turns, A (first) and B, and a controller that aborts both. */
function twoWaiting(): { line: WaitLine; a: Turn; b: Turn; controller: AbortController; waitA: ReturnType<typeof watch>; waitB: ReturnType<typeof watch> } {
  const line = new WaitLine(() => undefined);
  const [a, b] = [line.join(0), line.join(1)];
  const controller = new AbortController();
  return { line, a, b, controller, waitA: watch(a, controller.signal), waitB: watch(b, controller.signal) };
}

describe('WaitLine', () => {
  test('a release wakes exactly one waiter, the earliest arrival', async () => {
    const line = new WaitLine(() => undefined);
    const controller = new AbortController();
    const turns = [0, 1, 2].map((seq) => line.join(seq));
    const waits = [...turns].reverse().map((turn) => watch(turn, controller.signal)).reverse();
    line.notify('r1');
    await flush();
    assert.deepEqual(
      waits.map((w) => w.woken()),
      [true, false, false],
    );
    controller.abort();
    await Promise.all(waits.map((w) => w.done));
  });

  test('echoes of a release heard while the woken waiter attempts make it go again if it lost', async () => {
    const { line, a, controller, waitA, waitB } = twoWaiting();
    line.notify('r1');
    await waitA.done;
    line.notify('r1'); // the same release, from a slower node, during A's attempt
    const again = watch(a, controller.signal); // A lost: it goes again at once
    await again.done;
    assert.equal(again.woken(), true);
    assert.equal(waitB.woken(), false, 'B was not woken by the echo');
    controller.abort();
    await waitB.done;
  });

  test('after a win, echoes of the release that led to it wake nobody', async () => {
    const { line, a, waitA, waitB } = twoWaiting();
    line.notify('r1');
    await waitA.done;
    a.won();
    a.leave();
    line.notify('r1');
    await flush();
    assert.equal(waitB.woken(), false);
    line.notify('r2'); // a new release does wake B
    await waitB.done;
    assert.equal(waitB.woken(), true);
  });

  test('a wake-up with nobody waiting is kept for the next waiter', async () => {
    const line = new WaitLine(() => undefined);
    const a = line.join(0);
    line.notify();
    const waitA = watch(a);
    await waitA.done;
    assert.equal(waitA.woken(), true);
  });

  test('a woken waiter that leaves without attempting passes a pending wake-up on', async () => {
    const { line, a, waitA, waitB } = twoWaiting();
    line.notify('r1');
    await waitA.done;
    line.notify('r2');
    a.leave();
    await waitB.done;
    assert.equal(waitB.woken(), true);
  });

  test('abort rejects with the reason and takes the waiter out of the line', async () => {
    const line = new WaitLine(() => undefined);
    const [a, b] = [line.join(0), line.join(1)];
    const controller = new AbortController();
    const reason = new Error('stop');
    const waitA = watch(a, controller.signal);
    const other = new AbortController();
    const waitB = watch(b, other.signal);
    controller.abort(reason);
    assert.equal(await waitA.done, reason);
    line.notify('r1');
    await waitB.done;
    assert.equal(waitB.woken(), true, 'the release went to the next waiter, not to the aborted one');
  });

  test('an already aborted signal rejects at once', async () => {
    const line = new WaitLine(() => undefined);
    const reason = new Error('already');
    await assert.rejects(line.join(0).wait(LONG, AbortSignal.abort(reason)), (error) => error === reason);
  });

  test('the timer bounds every wait', async () => {
    const line = new WaitLine(() => undefined);
    await line.join(0).wait(1, undefined); // resolves by itself: nothing else could wake it
  });

  test('onEmpty runs when the last member leaves, once', () => {
    let empties = 0;
    const line = new WaitLine(() => (empties += 1));
    const [a, b] = [line.join(0), line.join(1)];
    a.leave();
    a.leave();
    assert.equal(empties, 0);
    assert.equal(line.busy, true);
    b.leave();
    assert.equal(empties, 1);
    assert.equal(line.busy, false);
  });

  test('wakeAll wakes every waiter', async () => {
    const line = new WaitLine(() => undefined);
    const waits = [line.join(0), line.join(1)].map((turn) => watch(turn));
    line.wakeAll();
    await Promise.all(waits.map((w) => w.done));
    assert.deepEqual(
      waits.map((w) => w.woken()),
      [true, true],
    );
  });

  describe('handoff reservations', () => {
    const offer = (value: string) => ({ ctx: {} as LockContext, value });
    const grant: HandedLock = { value: 'held', validUntil: 1, start: 0 };

    test('reserve picks the earliest waiter that offered, and deliver hands it the grant', async () => {
      const line = new WaitLine(() => undefined);
      const controller = new AbortController();
      const [a, b] = [line.join(0), line.join(1)];
      const waitA = watch(a, controller.signal); // no offer: only wake-ups
      const waitB = b.wait(LONG, controller.signal, offer('b'));
      await flush();
      const reservation = line.reserve();
      assert.equal(reservation?.offer.value, 'b');
      assert.equal(line.reserve(), undefined, 'nobody else offered');
      assert.equal(reservation.deliver(grant), true);
      assert.equal(await waitB, grant);
      b.won(); // what the caller does with a lock it was handed
      b.leave();
      line.notify('r1');
      await flush();
      // Checked at once: a minute-long timer, not the notification, would wake it otherwise.
      assert.equal(waitA.woken(), true, 'the release after the handoff woke the other waiter');
      controller.abort();
    });

    test('a reserved waiter that aborts is not handed anything: deliver says so', async () => {
      const line = new WaitLine(() => undefined);
      const controller = new AbortController();
      const waiting = line.join(0).wait(LONG, controller.signal, offer('a'));
      await flush();
      const reservation = line.reserve();
      controller.abort(new Error('gone'));
      await assert.rejects(waiting, /gone/);
      assert.equal(reservation?.deliver(grant), false);
    });

    test(`at most ${String(MAX_HANDOFFS)} handoffs in a row; a release heard makes room for more`, async () => {
      const line = new WaitLine(() => undefined);
      const controller = new AbortController();
      const turns = Array.from({ length: MAX_HANDOFFS + 1 }, (_, seq) => line.join(seq));
      const handed = turns.slice(0, MAX_HANDOFFS).map((turn, i) => turn.wait(LONG, controller.signal, offer(String(i))));
      const last = turns[MAX_HANDOFFS] as Turn;
      let lastWoken: HandedLock | undefined | 'waiting' = 'waiting';
      const lastWait = last.wait(LONG, controller.signal, offer('last')).then((got) => (lastWoken = got), () => undefined);
      await flush();
      for (let i = 0; i < MAX_HANDOFFS; i++) {
        assert.equal(line.reserve()?.deliver(grant), true);
        assert.equal(await handed[i], grant);
        turns[i]?.won();
        turns[i]?.leave();
      }
      assert.equal(line.reserve(), undefined, 'the chain is at its limit');
      line.notify('r1'); // a real release: the next waiter is woken, not handed the lock
      await flush();
      // Checked at once: a minute-long timer, not the notification, would wake it otherwise.
      assert.equal(lastWoken, undefined, 'woken by the release, with no lock handed');
      controller.abort();
      await lastWait;
    });
  });
});
