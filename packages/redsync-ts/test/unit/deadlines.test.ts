import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cancelDeadline, scheduleDeadline } from '../../src/deadlines.js';

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('the shared deadline timer', () => {
  /** Schedules deadlines of 30, 1 and 15 ms, optionally blocking the loop past all three; resolves to the order they fired in. */
  const firingOrder = (blockMs: number): Promise<string[]> => {
    const fired: string[] = [];
    return new Promise((resolve) => {
      const done = (name: string) => () => {
        fired.push(name);
        if (fired.length === 3) resolve(fired);
      };
      scheduleDeadline(30, done('c'));
      scheduleDeadline(1, done('a'));
      scheduleDeadline(15, done('b'));
      const end = performance.now() + blockMs;
      while (performance.now() < end); // the loop blocked
    });
  };

  test('deadlines fire once each, earliest first, across different durations', async () => {
    assert.deepEqual(await firingOrder(0), ['a', 'b', 'c']);
  });

  test('deadlines of several durations that all fell due while the loop was blocked fire earliest first', async () => {
    assert.deepEqual(await firingOrder(40), ['a', 'b', 'c']);
  });

  test('a cancelled deadline never fires, and once all are cancelled no timer keeps the process alive', async () => {
    const before = timers();
    let fired = false;
    const deadlines = Array.from({ length: 100 }, () => scheduleDeadline(5, () => (fired = true)));
    assert.equal(timers(), before + 1, 'one timer for all pending deadlines');
    for (const d of deadlines) cancelDeadline(d);
    assert.equal(timers(), before);
    // A later deadline firing proves the earlier, cancelled ones had their chance (earliest first).
    await new Promise<void>((resolve) => scheduleDeadline(10, resolve));
    assert.equal(fired, false);
    cancelDeadline(deadlines[0]!); // cancelling twice is harmless
  });

  test('cancelling some leaves the others to fire', async () => {
    const fired: number[] = [];
    const last = new Promise<void>((resolve) => {
      const ds = [0, 1, 2, 3].map((i) => scheduleDeadline(2, () => {
        fired.push(i);
        if (i === 3) resolve();
      }));
      cancelDeadline(ds[1]!);
      cancelDeadline(ds[2]!);
    });
    await last;
    assert.deepEqual(fired, [0, 3]);
  });

  test('thousands cancelled out of order (the queue compacts) leave exactly the kept ones to fire, in order', async () => {
    const before = timers();
    const fired: number[] = [];
    const kept = new Set([2400, 2999]);
    const last = new Promise<void>((resolve) => {
      const ds = Array.from({ length: 3000 }, (_, i) => scheduleDeadline(3, () => {
        fired.push(i);
        if (i === 2999) resolve();
      }));
      // Odd indexes first, then even ones backwards: the head is cancelled last.
      const order = [...ds.keys()].filter((i) => i % 2 === 1).concat([...ds.keys()].filter((i) => i % 2 === 0).reverse());
      for (const i of order) if (!kept.has(i)) cancelDeadline(ds[i]!);
    });
    await last;
    assert.deepEqual(fired, [2400, 2999]);
    assert.equal(timers(), before);
  });

  test('one round at a time (the queue empties and refills) keeps firing, also a deadline scheduled from a firing one', async () => {
    const before = timers();
    for (let i = 0; i < 50; i++) cancelDeadline(scheduleDeadline(4, () => assert.fail('cancelled deadline fired')));
    assert.equal(timers(), before, 'nothing pending keeps the process alive');
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      scheduleDeadline(4, () => {
        order.push('first');
        scheduleDeadline(4, () => {
          order.push('second');
          resolve();
        });
      });
    });
    assert.deepEqual(order, ['first', 'second']);
    assert.equal(timers(), before);
  });
});
