import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LockTakenError, Redsync } from '../../src/index.js';
import { Patience } from '../../src/acquire-call.js';
import { delay } from '../../src/delay.js';
import { defaultRetryDelay } from '../../src/options.js';
import { fakeNode } from '../support/fake-node.js';

describe('retries', () => {
  test('retryDelay receives the number of attempts made so far, once between each pair of attempts', async () => {
    const seen: number[] = [];
    const rs = new Redsync([fakeNode('taken')], { tries: 4, retryDelay: (attempt) => (seen.push(attempt), 0) });
    const error = await rs.mutex('r').acquire().catch((e: unknown) => e);
    assert.ok(error instanceof LockTakenError);
    assert.equal(error.attempts, 4);
    assert.deepEqual(seen, [1, 2, 3]);
  });

  test('tries: 1 makes exactly one attempt and never waits', async () => {
    let waited = false;
    const node = fakeNode('taken');
    const rs = new Redsync([node], { tries: 1, retryDelay: () => ((waited = true), 0) });
    await assert.rejects(rs.mutex('r').acquire(), LockTakenError);
    assert.equal(node.calls.acquire, 1);
    assert.equal(waited, false);
  });

  test('the default delay is jittered within [50, 250) ms', () => {
    const samples = Array.from({ length: 2000 }, () => defaultRetryDelay());
    assert.ok(samples.every((d) => d >= 50 && d < 250));
    assert.ok(new Set(samples).size > 1000, 'delays should not repeat');
    assert.ok(Math.min(...samples) < 70 && Math.max(...samples) > 230, 'delays should spread over the range');
  });

  test('a retryDelay function returning an invalid delay rejects with a RangeError naming it', async () => {
    const rs = new Redsync([fakeNode('taken')], { tries: 2, retryDelay: () => -1 });
    await assert.rejects(rs.mutex('r').acquire(), (e: unknown) => e instanceof RangeError && /retryDelay/.test(e.message));
  });

  test('a fixed retryDelay keeps retrying until a node frees up', async () => {
    const node = fakeNode('taken');
    let attempts = 0;
    const rs = new Redsync([node], {
      tries: 10,
      retryDelay: () => {
        attempts += 1;
        if (attempts === 3) node.behavior = 'ok';
        return 0;
      },
    });
    const lock = await rs.mutex('r').acquire();
    // Four attempts: one SET NX (then the reclaim script), and the reclaim script as each of three retries.
    assert.deepEqual([node.calls.acquire, node.calls.reclaim], [1, 4]);
    assert.equal(typeof lock.value, 'string');
  });

  test('aborting during the delay rejects with signal.reason', async () => {
    const controller = new AbortController();
    const reason = new Error('stop waiting');
    const rs = new Redsync([fakeNode('taken')], {
      tries: 5,
      retryDelay: () => {
        queueMicrotask(() => controller.abort(reason));
        return 600_000;
      },
    });
    await assert.rejects(rs.mutex('r').acquire({ signal: controller.signal }), (e) => e === reason);
  });

  test('an already-aborted signal rejects before any I/O', async () => {
    const node = fakeNode('ok');
    const rs = new Redsync([node]);
    const signal = AbortSignal.abort(new Error('already'));
    await assert.rejects(rs.mutex('r').acquire({ signal }), /already/);
    await assert.rejects(rs.mutex('r').tryAcquire({ signal }), /already/);
    assert.deepEqual(node.calls, { acquire: 0, reclaim: 0, other: 0 });
  });

  test('an abort that lands while the winning attempt is in flight releases the lock and rejects', async () => {
    const controller = new AbortController();
    const node = fakeNode('ok');
    const original = node.setNX.bind(node);
    node.setNX = (key, value, ttl) => {
      controller.abort(new Error('late abort'));
      return original(key, value, ttl);
    };
    const rs = new Redsync([node]);
    await assert.rejects(rs.mutex('r').acquire({ signal: controller.signal }), /late abort/);
    assert.deepEqual(node.calls, { acquire: 1, reclaim: 0, other: 1 });
  });

  test('delay() without a signal resolves, and with an aborted one rejects at once', async () => {
    await delay(0);
    await assert.rejects(delay(600_000, AbortSignal.abort(new Error('x'))), /x/);
  });
});

describe('Patience', () => {
  test('lasts the sum of the retry delays tries allows, from the first wait', () => {
    const patience = new Patience(4, (attempt) => attempt * 10, 1000); // 10 + 20 + 30
    assert.equal(patience.until(1000), 1060);
    assert.equal(patience.over(1059), false);
    assert.equal(patience.over(1060), true);
  });

  test('tries: 1 allows no wait; tries: Infinity never runs out', () => {
    assert.equal(new Patience(1, () => 10, 0).over(0), true);
    const endless = new Patience(Number.POSITIVE_INFINITY, () => 10, 0);
    assert.equal(endless.over(1e12), false);
    assert.equal(endless.until(0), Number.POSITIVE_INFINITY);
  });

  test('sums lazily, a horizon at a time: a huge tries costs nothing up front', () => {
    let calls = 0;
    const patience = new Patience(Number.MAX_SAFE_INTEGER, () => (calls++, 100), 0);
    const checkpoint = patience.until(0);
    assert.ok(calls <= 64, `${String(calls)} delays summed`);
    assert.ok(checkpoint > 0 && checkpoint <= 6400);
    assert.equal(patience.over(checkpoint), false, 'a checkpoint, not the end');
  });
});
