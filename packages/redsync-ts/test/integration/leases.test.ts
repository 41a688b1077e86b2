import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { LockLostError, LockReleasedError, Redsync } from '../../src/index.js';
import { monotonicNow } from '../../src/validity.js';
import { ADAPTERS, heldEverywhere, aborted, nth, startCluster, uniqueName, until, valuesOf, type TestCluster } from '../support/cluster.js';

for (const adapter of ADAPTERS) {
  for (const n of [1, 5]) {
    describe(`leases on ${n} node(s) via ${adapter}`, () => {
      let cluster: TestCluster;
      before(async () => {
        cluster = await startCluster(adapter, n);
      });
      after(() => cluster.close());
      afterEach(() => cluster.heal());

      test('renewal keeps a lock alive well past its ttl', async () => {
        // A roomier per-node timeout than the default 15 ms: a busy CI machine must not fail the release.
        const rs = new Redsync(cluster.nodes, { ttl: 300, timeoutFactor: 0.25 });
        const lock = await rs.mutex(uniqueName()).acquire({ autoExtend: true });
        const first = lock.validUntil;
        await until(() => lock.validUntil > first + 1200, 'four ttls of renewals');
        assert.equal(lock.signal.aborted, false);
        await heldEverywhere(cluster, lock.key, lock.value);
        assert.equal(await lock.release(), true);
        assert.ok(lock.signal.reason instanceof LockReleasedError);
      });

      test('a renewed lock that is lost keeps the validity its last renewal confirmed', async () => {
        // A roomier per-node timeout than the default 15 ms: a busy CI machine must not fail the release.
        const rs = new Redsync(cluster.nodes, { ttl: 300, timeoutFactor: 0.25 });
        const lock = await rs.mutex(uniqueName()).acquire({ autoExtend: true });
        const first = lock.validUntil;
        await until(() => lock.validUntil > first + 600, 'two ttls of renewals');
        await Promise.all(cluster.admin.map((a) => a.set(lock.key, 'thief')));
        const confirmed = lock.validUntil;
        await aborted(lock.signal);
        assert.ok(lock.validUntil >= confirmed, `validUntil went back from ${String(confirmed)} to ${String(lock.validUntil)}`);
        await lock.release();
      });

      test('after the event loop was blocked past the validity, lock.signal is aborted before any timer runs', async () => {
        // A short ttl keeps the stall short; a generous per-node timeout keeps a busy CI machine
        // from failing the release that follows it (10 ms would be the default here).
        const rs = new Redsync(cluster.nodes, { ttl: 200, timeoutFactor: 0.5 });
        for (const autoExtend of [false, true]) {
          const lock = await rs.mutex(uniqueName()).acquire({ autoExtend });
          const early = lock.signal; // watched from the start, as a worker would
          while (lock.remaining() > 0) {
            // a synchronous stall (a long GC pause, a CPU-bound loop, SIGSTOP): no timer can fire
          }
          assert.equal(lock.signal.aborted, true);
          assert.equal(early.aborted, true);
          assert.ok(early.reason instanceof LockLostError && early.reason.reason === 'expired');
          await lock.release();
        }
      });

      test('a plain lock (no renewal) aborts its signal when its validity runs out', async () => {
        const rs = new Redsync(cluster.nodes, { ttl: 200 });
        const lock = await rs.mutex(uniqueName()).acquire();
        const reason = await aborted(lock.signal);
        assert.ok(reason instanceof LockLostError && reason.reason === 'expired');
        assert.ok(monotonicNow() >= lock.validUntil - 5);
        await assert.rejects(lock.extend(), LockLostError, 'a lost lock is never revived');
      });

      test('withLock returns the result, releases, and passes a live signal', async () => {
        const rs = new Redsync(cluster.nodes, { ttl: 1000 });
        const name = uniqueName();
        const result = await rs.withLock(name, async (signal, lock) => {
          assert.equal(signal.aborted, false);
          await heldEverywhere(cluster, name, lock.value);
          return 42;
        });
        assert.equal(result, 42);
        await heldEverywhere(cluster, name, null);
      });

      test('withLock propagates the work error and releases', async () => {
        const rs = new Redsync(cluster.nodes);
        const name = uniqueName();
        const failure = new Error('work failed');
        await assert.rejects(rs.withLock(name, () => Promise.reject(failure)), (e) => e === failure);
        await heldEverywhere(cluster, name, null);
      });

      test('withLock: the caller aborting mid-work reaches the work, and the lock is released', async () => {
        const rs = new Redsync(cluster.nodes);
        const name = uniqueName();
        const controller = new AbortController();
        const reason = new Error('caller cancelled');
        const run = rs.withLock(
          name,
          async (signal) => {
            queueMicrotask(() => controller.abort(reason));
            await aborted(signal);
            signal.throwIfAborted();
          },
          { signal: controller.signal },
        );
        await assert.rejects(run, (e) => e === reason);
        await heldEverywhere(cluster, name, null);
      });

      test('withLock: a lock lost during the work aborts its signal and surfaces as LockLostError', async () => {
        const rs = new Redsync(cluster.nodes, { ttl: 400 });
        const name = uniqueName();
        const run = rs.withLock(name, async (signal) => {
          await Promise.all(cluster.admin.map((a) => a.set(name, 'thief', 'PX', 60_000)));
          const reason = await aborted(signal);
          assert.ok(reason instanceof LockLostError && reason.reason === 'renewal-failed');
          return 'finished anyway';
        });
        await assert.rejects(run, (e) => e instanceof LockLostError);
        assert.deepEqual(await valuesOf(cluster, name), Array(n).fill('thief'), 'the release left the thief alone');
      });

      test('maxHold stops renewal and aborts; the key then expires on its own', async () => {
        const rs = new Redsync(cluster.nodes, { ttl: 300, maxHold: 600 });
        const lock = await rs.mutex(uniqueName()).acquire({ autoExtend: true });
        const reason = await aborted(lock.signal);
        assert.ok(reason instanceof LockLostError && reason.reason === 'max-hold');
        await until(async () => (await valuesOf(cluster, lock.key)).every((v) => v === null), 'the key to expire');
      });

      test('await using with renewal: dispose stops renewal, then releases', async () => {
        const rs = new Redsync(cluster.nodes, { ttl: 200 });
        const name = uniqueName();
        let signal: AbortSignal | undefined;
        {
          await using lock = await rs.mutex(name).acquire({ autoExtend: true });
          signal = lock.signal;
          const first = lock.validUntil;
          await until(() => lock.validUntil > first, 'one renewal');
        }
        assert.ok(signal.reason instanceof LockReleasedError);
        await heldEverywhere(cluster, name, null);
      });

      if (n === 5) {
        test('killing a majority aborts the signal before the validity deadline', async () => {
          const rs = new Redsync(cluster.nodes, { ttl: 2000 });
          const lock = await rs.mutex(uniqueName()).acquire({ autoExtend: true });
          await Promise.all([0, 1, 2].map((i) => nth(cluster.servers, i).kill()));
          const reason = await aborted(lock.signal);
          const abortedAt = monotonicNow();
          assert.ok(reason instanceof LockLostError);
          assert.ok(abortedAt < lock.validUntil, `aborted ${String(abortedAt - lock.validUntil)} ms after validUntil`);
        });

        test('a paused node does not stall the renewals of other locks', async () => {
          // A ttl of 1.5 s keeps the test short while its per-node deadline (75 ms) stays small beside
          // the ttl, as the default factor means it to (with ttl 400, a glide release of 3 locks on
          // a loaded machine missed its 20 ms once).
          const rs = new Redsync(cluster.nodes, { ttl: 1500 });
          nth(cluster.servers, 4).pause();
          const locks = await Promise.all([1, 2, 3].map(() => rs.mutex(uniqueName()).acquire({ autoExtend: true })));
          const firsts = locks.map((l) => l.validUntil);
          await until(() => locks.every((l, i) => l.validUntil > (firsts[i] ?? 0) + 3000), 'two ttls of renewals on every lock');
          assert.ok(locks.every((l) => !l.signal.aborted));
          await Promise.all(locks.map((l) => l.release()));
        });
      }
    });
  }
}
