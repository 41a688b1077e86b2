import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { setImmediate as flush } from 'node:timers/promises';
import { RECHECK_MAX_MS } from '../../src/wait-timing.js';
import { WaitLine } from '../../src/wait-line.js';
import { LONG, clock, lostTo, startClock, tick, time, watch } from '../support/wait-line-kit.js';

describe('WaitLine', () => {
  beforeEach(startClock);
  afterEach(() => mock.timers.reset());

  test('a release wakes exactly one waiter, the earliest arrival', async () => {
    const line = new WaitLine(() => undefined);
    const turns = [0, 1, 2].map((seq) => line.join(seq));
    const waits = [...turns].reverse().map((turn) => watch(turn)).reverse();
    line.notify('r1');
    await flush();
    assert.deepEqual(
      waits.map((w) => w.woke()),
      ['attempt', undefined, undefined],
    );
  });

  test('another release heard while the woken waiter attempts makes it go again at once if it lost', async () => {
    const line = new WaitLine(() => undefined);
    line.setConfirmed(0, true);
    const [a, b] = [line.join(0), line.join(1)];
    const waitA = watch(a);
    const waitB = watch(b);
    line.notify('r1');
    await waitA.done;
    line.notify('r2'); // a release that raced A's attempt
    a.lost(lostTo(LONG), time.now);
    const again = watch(a);
    await again.done;
    assert.equal(again.woke(), 'attempt');
    assert.equal(waitB.woke(), undefined, 'B was not woken');
  });

  test('an echo of the release the attempt answered makes a loser look again after one retry delay, not at once', async () => {
    const line = new WaitLine(() => undefined);
    line.setConfirmed(0, true);
    const [a, b] = [line.join(0), line.join(1)];
    const waitA = watch(a);
    const waitB = watch(b);
    line.notify('r1');
    await waitA.done;
    line.notify('r1'); // the same release, from a slower node, during A's attempt
    a.lost(lostTo(LONG), time.now); // it lost: to a new holder, or to a node the release had not reached yet
    const again = watch(a, { poll: 100 });
    await flush();
    assert.equal(again.woke(), undefined, 'no second attempt at once');
    tick(100);
    await again.done;
    assert.equal(again.woke(), 'attempt', 'one retry delay later, not the holder ttl');
    assert.equal(waitB.woke(), undefined, 'B was not woken by the echo');
  });

  test(`after an echoed loss, a long retry delay does not keep the head idle beyond ${String(RECHECK_MAX_MS)} ms`, async () => {
    const line = new WaitLine(() => undefined);
    line.setConfirmed(0, true);
    const a = line.join(0);
    const waitA = watch(a);
    line.notify('r1');
    await waitA.done;
    line.notify('r1'); // the release reached the last node after A's attempt: free, and unannounced
    a.lost(lostTo(LONG), time.now);
    const again = watch(a, { poll: LONG });
    tick(RECHECK_MAX_MS);
    await again.done;
    assert.equal(again.woke(), 'attempt');
  });

  test('after a win, echoes of the release that led to it wake nobody', async () => {
    const line = new WaitLine(() => undefined);
    const [a, b] = [line.join(0), line.join(1)];
    const waitA = watch(a);
    const waitB = watch(b);
    line.notify('r1');
    await waitA.done;
    a.won(time.now + LONG);
    a.leave();
    line.notify('r1');
    await flush();
    assert.equal(waitB.woke(), undefined);
    line.notify('r2'); // a new release does wake B
    await waitB.done;
    assert.equal(waitB.woke(), 'attempt');
  });

  test("after this process's own release, a tag heard before its last win is news, not an echo", async () => {
    // A waiter of another process keeps its value across attempts: a failed attempt's clean-up
    // announces it, and the same value can win later and be released for real.
    const line = new WaitLine(() => undefined);
    const [a, b] = [line.join(0), line.join(1)];
    const waitA = watch(a);
    const waitB = watch(b);
    line.notify('v'); // the clean-up of the other process's failed attempt, value v
    await waitA.done;
    a.won(time.now + LONG);
    a.leave();
    line.releasedHere('ours'); // B is woken by our own release and loses to v
    await waitB.done;
    b.lost(lostTo(LONG), time.now);
    const again = watch(b);
    line.notify('v'); // v releases for real
    await again.done;
    assert.equal(again.woke(), 'attempt');
  });

  test('a wake-up with nobody waiting is kept for the next waiter', async () => {
    const line = new WaitLine(() => undefined);
    const a = line.join(0);
    line.notify();
    const waitA = watch(a);
    await waitA.done;
    assert.equal(waitA.woke(), 'attempt');
  });

  test('a woken waiter that leaves without attempting passes a pending wake-up on', async () => {
    const line = new WaitLine(() => undefined);
    const [a, b] = [line.join(0), line.join(1)];
    const waitA = watch(a);
    const waitB = watch(b);
    line.notify('r1');
    await waitA.done;
    line.notify('r2');
    a.leave();
    await waitB.done;
    assert.equal(waitB.woke(), 'attempt');
  });

  test('abort rejects with the reason and takes the waiter out of the line', async () => {
    const line = new WaitLine(() => undefined);
    const [a, b] = [line.join(0), line.join(1)];
    const controller = new AbortController();
    const reason = new Error('stop');
    const waitA = watch(a, { signal: controller.signal });
    const waitB = watch(b);
    controller.abort(reason);
    await waitA.done;
    assert.equal(waitA.woke(), reason);
    line.notify('r1');
    await waitB.done;
    assert.equal(waitB.woke(), 'attempt', 'the release went to the next waiter, not to the aborted one');
  });

  test('an already aborted signal rejects at once', async () => {
    const line = new WaitLine(() => undefined);
    const reason = new Error('already');
    await assert.rejects(line.join(0).wait({ clock, poll: 1, until: LONG, signal: AbortSignal.abort(reason) }), (error) => error === reason);
  });

  test("every wait ends at the caller's `until` with 'look', head or not", async () => {
    const line = new WaitLine(() => undefined);
    line.setConfirmed(0, true);
    const a = line.join(0);
    a.lost(lostTo(10 * LONG), time.now); // the holder's key lives far beyond `until`
    const waits = [watch(a, { until: 100 }), watch(line.join(1), { until: 200 })];
    tick(100);
    await waits[0]?.done;
    assert.deepEqual(
      waits.map((w) => w.woke()),
      ['look', undefined],
    );
    tick(100);
    await waits[1]?.done;
    assert.equal(waits[1]?.woke(), 'look');
  });

  describe('one attempter per process', () => {
    test('only the head attempts at its retry delay; the next waiter attempts once the head left', async () => {
      const line = new WaitLine(() => undefined);
      const [a, b] = [line.join(0), line.join(1)];
      const waitB = watch(b, { poll: 5 });
      for (let i = 0; i < 3; i++) {
        const waitA = watch(a, { poll: 5 });
        tick(5);
        await waitA.done;
        assert.equal(waitA.woke(), 'attempt', `A polls (no subscription confirmed), round ${String(i)}`);
        tick(50); // A's attempt is in flight: B does not attempt beside it
        await flush();
        assert.equal(waitB.woke(), undefined, `B waits in memory, round ${String(i)}`);
        a.lost(lostTo(LONG), time.now);
      }
      a.leave();
      tick(5);
      await waitB.done;
      assert.equal(waitB.woke(), 'attempt', 'B is the head time.now');
    });

    test('with a confirmed subscription the head waits for the holder ttl, not its retry delay', async () => {
      const line = new WaitLine(() => undefined);
      line.setConfirmed(0, true);
      const a = line.join(0);
      a.lost(lostTo(1000), time.now);
      const waitA = watch(a, { poll: 5 });
      tick(1000); // 200 retry delays
      await flush();
      assert.equal(waitA.woke(), undefined, 'no attempt before the holder key expired');
      tick(1 + 5); // expiry, plus at most one retry delay of jitter
      await waitA.done;
      assert.equal(waitA.woke(), 'attempt');
    });

    test('when the subscription drops, the head falls back to its retry delay', async () => {
      const line = new WaitLine(() => undefined);
      line.setConfirmed(0, true);
      const a = line.join(0);
      a.lost(lostTo(LONG), time.now);
      const waitA = watch(a, { poll: 5 });
      tick(5);
      await flush();
      assert.equal(waitA.woke(), undefined);
      line.setConfirmed(0, false);
      tick(5);
      await waitA.done;
      assert.equal(waitA.woke(), 'attempt');
    });

    test('after a win in this process the next head waits for the winner, bounded by its validity', async () => {
      const line = new WaitLine(() => undefined);
      line.setConfirmed(0, true);
      const [a, b] = [line.join(0), line.join(1)];
      const waitA = watch(a, { poll: 5 });
      const waitB = watch(b, { poll: 5 });
      line.notify('r1');
      await waitA.done;
      a.won(time.now + 500);
      a.leave();
      tick(400);
      await flush();
      assert.equal(waitB.woke(), undefined, 'no attempt while our own holder is valid');
      line.notify('r2'); // our holder released
      await waitB.done;
      assert.equal(waitB.woke(), 'attempt');
    });
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
      waits.map((w) => w.woke()),
      ['attempt', 'attempt'],
    );
  });
});
