import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { LockLostError, LockTakenError, Redsync, type Lock } from '../../src/index.js';
import { ADAPTERS, heldEverywhere, expireEverywhere, startCluster, uniqueName, until, valuesOf, type TestCluster } from '../support/cluster.js';

for (const adapter of ADAPTERS) {
  for (const n of [1, 3, 5]) {
    describe(`mutex on ${n} node(s) via ${adapter}`, () => {
      let cluster: TestCluster;
      let rs: Redsync;
      before(async () => {
        cluster = await startCluster(adapter, n);
        rs = new Redsync(cluster.nodes);
      });
      after(() => cluster.close());
      // An empty script cache before every test, so the EVALSHA -> EVAL fallback is always exercised.
      beforeEach(() => Promise.all(cluster.admin.map((a) => a.script('FLUSH'))));

      test('acquire sets the value on every node; release deletes it everywhere', async () => {
        const name = uniqueName();
        const lock = await rs.mutex(name).acquire();
        await heldEverywhere(cluster, name, lock.value);
        assert.ok(lock.remaining() > 0 && lock.remaining() <= 8000);
        assert.equal(await lock.release(), true);
        await heldEverywhere(cluster, name, null);
        assert.equal(await lock.release(), false, 'a second release is a harmless false');
      });

      test('tryAcquire on a held lock returns null and leaves the holder untouched', async () => {
        const name = uniqueName();
        const lock = await rs.mutex(name).acquire();
        assert.equal(await rs.mutex(name).tryAcquire(), null);
        await heldEverywhere(cluster, name, lock.value);
        await lock.release();
      });

      test('many contenders: every one gets the lock in turn, never two at once', async () => {
        const name = uniqueName();
        const mutex = rs.mutex(name, { retryDelay: () => 1 + Math.random() * 4, tries: 10_000 });
        let inside = 0;
        let maxInside = 0;
        let counter = 0;
        await Promise.all(
          Array.from({ length: 12 }, async () => {
            const lock = await mutex.acquire();
            inside += 1;
            maxInside = Math.max(maxInside, inside);
            const read = counter;
            await new Promise((resolve) => setImmediate(resolve));
            counter = read + 1;
            inside -= 1;
            assert.equal(await lock.release(), true);
          }),
        );
        assert.equal(maxInside, 1);
        assert.equal(counter, 12, 'no lost update');
      });

      test('extend resets the ttl to the full ttl on every node and moves validUntil', async () => {
        const name = uniqueName();
        const lock = await rs.mutex(name, { ttl: 60_000 }).acquire();
        await Promise.all(cluster.admin.map((a) => a.pexpire(name, 5_000)));
        const before = lock.validUntil;
        const extendedTo = await lock.extend();
        assert.ok(extendedTo > before && lock.validUntil === extendedTo);
        // extend() returns once a quorum confirmed; the other nodes follow within their round trip.
        await until(async () => (await Promise.all(cluster.admin.map((a) => a.pttl(name)))).every((ttl) => ttl > 5_000), 'every node extended');
        await lock.release();
      });

      test('extend after expiry throws LockLostError; release after expiry is false', async () => {
        const name = uniqueName();
        const lock = await rs.mutex(name).acquire();
        await expireEverywhere(cluster, name);
        await assert.rejects(lock.extend(), LockLostError);
        assert.equal(await lock.release(), false);
        assert.deepEqual(await valuesOf(cluster, name), Array(n).fill(null), 'extend must not re-create the key');
      });

      test('release of a key now owned by another value is false and leaves that key alone', async () => {
        const name = uniqueName();
        const lock = await rs.mutex(name).acquire();
        await Promise.all(cluster.admin.map((a) => a.set(name, 'someone-else', 'PX', 60_000)));
        assert.equal(await lock.release(), false);
        await heldEverywhere(cluster, name, 'someone-else');
        await assert.rejects(lock.extend(), LockLostError);
      });

      test('a key set with a raw SET NX PX (what go-redsync does) blocks us, and ours blocks it', async () => {
        const name = uniqueName();
        await Promise.all(cluster.admin.map((a) => a.set(name, 'go-redsync-value', 'PX', 60_000, 'NX')));
        const mutex = rs.mutex(name, { tries: 2, retryDelay: 0 });
        assert.equal(await mutex.tryAcquire(), null);
        const error = await mutex.acquire().catch((e: unknown) => e);
        assert.ok(error instanceof LockTakenError);
        assert.deepEqual(error.nodes, Array.from({ length: n }, (_, i) => i));
        await Promise.all(cluster.admin.map((a) => a.del(name)));
        const lock = await mutex.acquire();
        // The round settles at a quorum: the other nodes' SETs may still be on their way.
        await heldEverywhere(cluster, name, lock.value);
        const raw = await Promise.all(cluster.admin.map((a) => a.set(name, 'go-redsync-value', 'PX', 60_000, 'NX')));
        assert.deepEqual(raw, Array(n).fill(null));
        await lock.release();
      });

      test('await using releases at the end of the block, also when it throws', async () => {
        const name = uniqueName();
        {
          await using lock = await rs.mutex(name).acquire();
          await heldEverywhere(cluster, name, lock.value);
        }
        await heldEverywhere(cluster, name, null);
        let held: Lock | undefined;
        await assert.rejects(async () => {
          await using lock = await rs.mutex(name).acquire();
          held = lock;
          throw new Error('work failed');
        }, /work failed/);
        assert.ok(held !== undefined);
        await heldEverywhere(cluster, name, null);
      });

      test('a lock acquired elsewhere can be extended and released given its name and value', async () => {
        const name = uniqueName();
        const original = await rs.mutex(name).acquire();
        const elsewhere = new Redsync(await cluster.connect());
        const adopted = elsewhere.mutex(name).adopt(original.value);
        assert.equal(adopted.validUntil, 0);
        await adopted.extend();
        assert.ok(adopted.remaining() > 0);
        assert.equal(await adopted.release(), true);
        assert.equal(await original.release(), false);
      });

      test('SCRIPT FLUSH between calls is invisible to the caller', async () => {
        const name = uniqueName();
        const lock = await rs.mutex(name).acquire();
        await Promise.all(cluster.admin.map((a) => a.script('FLUSH')));
        await lock.extend();
        await Promise.all(cluster.admin.map((a) => a.script('FLUSH')));
        assert.equal(await lock.release(), true);
      });

      test("a retry is never blocked by the caller's own leftover key", async () => {
        const name = uniqueName();
        const ours = 'leftover-value';
        // As if the clean-up after an earlier attempt had not reached these nodes.
        await Promise.all(cluster.admin.map((a) => a.set(name, ours, 'PX', 60_000)));
        const lock = await rs.mutex(name, { tries: 1, genValue: () => ours }).acquire();
        assert.equal(lock.value, ours);
        assert.ok(lock.remaining() > 0);
        assert.equal(await lock.release(), true);
      });

      test('no key of ours is left behind after a failed acquire', async () => {
        const name = uniqueName();
        // Another owner holds a bare majority; the free minority would take our value.
        const quorum = Math.floor(n / 2) + 1;
        await Promise.all(cluster.admin.slice(0, quorum).map((a) => a.set(name, 'other', 'PX', 60_000)));
        const ours = 'our-value';
        const mutex = rs.mutex(name, { tries: 3, retryDelay: 0, genValue: () => ours });
        await assert.rejects(mutex.acquire(), LockTakenError);
        const values = await valuesOf(cluster, name);
        assert.ok(!values.includes(ours), `leftover: ${values.join(',')}`);
        assert.deepEqual(values.slice(0, quorum), Array(quorum).fill('other'));
      });
    });
  }
}
