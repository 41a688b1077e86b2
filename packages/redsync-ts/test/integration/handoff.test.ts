/**
 * Handoffs: a release with a waiter in the same process hands the lock over instead of releasing
 * it for the waiter to take: a young lock whose value nobody read is passed on as it is (no round
 * trip), any other in one round trip (the lock-transfer script). Per client library, on 1 and 3
 * nodes. Retry delays and ttls are a minute long: only a handoff or a notification can explain a
 * waiter getting the lock within the test's timeout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redsync } from '../../src/index.js';
import { releaseChannelOf } from '../../src/keys.js';
import { MAX_HANDOFFS } from '../../src/wait-line.js';
import { ADAPTERS, heldEverywhere, startCluster, uniqueName, until, type TestCluster, lacks } from '../support/cluster.js';
import { MINUTE, SLOW, counting, subscribed, type CommandProbe } from '../support/handoff-probe.js';

for (const adapter of ADAPTERS) {
  for (const n of [1, 3]) {
    describe(`handoffs within a process on ${n} node(s) via ${adapter}`, { timeout: 30_000, skip: lacks(adapter, 'feed') }, () => {
      let cluster: TestCluster;
      before(async () => {
        cluster = await startCluster(adapter, n);
      });
      after(async () => {
        await cluster.close();
      });

      /** A Redsync over counted nodes, a held lock of `name`, and one waiter queued behind it. */
      async function heldWithWaiter(probe: CommandProbe, name: string, signal?: AbortSignal) {
        const rs = new Redsync(probe.nodes, SLOW);
        const held = await rs.mutex(name).acquire();
        const waiting = rs.mutex(name).acquire(signal === undefined ? undefined : { signal });
        waiting.catch(() => undefined); // some tests abort it; they await it themselves
        await subscribed(cluster, name);
        // Its first attempt, and one more when the subscription was confirmed: then it sleeps.
        await until(() => probe.attempts() === 2, 'the waiter asleep in its line');
        return { rs, held, waiting };
      }

      test('a young lock is passed on as it is: no round trip, the same value, the validity it had left', async () => {
        const name = uniqueName();
        const probe = counting(cluster.nodes);
        const { rs, held, waiting } = await heldWithWaiter(probe, name);
        try {
          const heldUntil = held.validUntil;
          assert.equal(await held.release(), true);
          const lock = await waiting;
          assert.deepEqual([probe.transfers(), probe.releases(), probe.attempts()], [0, 0, 2], 'no command at all: no transfer, no release, no attempt');
          assert.equal(lock.value, held.value);
          assert.equal(lock.validUntil, heldUntil);
          assert.equal(held.validUntil, 0, 'the old handle trusts nothing any more');
          assert.equal(held.signal.aborted, true);
          assert.equal(lock.signal.aborted, false);
          await heldEverywhere(cluster, name, lock.value);
          assert.equal(await held.release(), false, 'the old handle cannot release the new holder\'s lock');
          await heldEverywhere(cluster, name, lock.value);
          assert.equal(await lock.release(), true);
          await heldEverywhere(cluster, name, null); // a release settles at its quorum: the rest follow
        } finally {
          await rs.close();
        }
      });

      test('a lock whose value was read is transferred in one round trip: the waiter\'s own value, the full ttl', async () => {
        const name = uniqueName();
        const probe = counting(cluster.nodes);
        const { rs, held, waiting } = await heldWithWaiter(probe, name);
        try {
          const heldValue = held.value; // it may live elsewhere now: never passed on
          assert.equal(await held.release(), true);
          const lock = await waiting;
          assert.equal(probe.transfers(), 1);
          assert.equal(probe.attempts(), 2, 'the waiter made no attempt of its own');
          assert.equal(probe.releases(), 0, 'nothing was released in between');
          assert.notEqual(lock.value, heldValue);
          await heldEverywhere(cluster, name, lock.value);
          const ttls = await Promise.all(cluster.admin.map((admin) => admin.pttl(name)));
          assert.ok(ttls.every((ttl) => ttl > MINUTE / 2), `a fresh ttl on every node: ${JSON.stringify(ttls)}`);
          assert.ok(lock.remaining() > MINUTE / 2);
          await lock.release();
          await heldEverywhere(cluster, name, null); // a release settles at its quorum: the rest follow
        } finally {
          await rs.close();
        }
      });

      test('a waiter that aborts as soon as it was passed the lock releases it', async () => {
        const name = uniqueName();
        const controller = new AbortController();
        const reason = new Error('gave up');
        const probe = counting(cluster.nodes);
        const { rs, held, waiting } = await heldWithWaiter(probe, name, controller.signal);
        try {
          const released = held.release(); // passes the lock synchronously...
          controller.abort(reason); // ...to a waiter that gives up before it could return it
          assert.equal(await released, true);
          await assert.rejects(waiting, (error) => error === reason);
          assert.equal(probe.releases(), 1, 'the waiter released what it was passed');
          await heldEverywhere(cluster, name, null); // a release settles at its quorum: the rest follow
        } finally {
          await rs.close();
        }
      });

      test(`after ${String(MAX_HANDOFFS)} handoffs in a row a release goes through Redis, so other processes get their turn`, async () => {
        const name = uniqueName();
        const probe = counting(cluster.nodes);
        const { rs, held, waiting } = await heldWithWaiter(probe, name);
        const other = new Redsync(cluster.nodes, SLOW);
        try {
          // Newcomers queue behind the first waiter without an attempt of their own.
          const mutex = rs.mutex(name);
          const more = Array.from({ length: MAX_HANDOFFS }, () => mutex.acquire());
          const elsewhere = other.mutex(name).acquire();
          const holders = [waiting, ...more];
          await until(async () => Number((await cluster.admin[0]?.pubsub('NUMSUB', releaseChannelOf(name)))?.[1]) === 2, 'the other process subscribed');
          await held.release();
          for (let i = 0; i < MAX_HANDOFFS; i++) await (await (holders[i] as Promise<Awaited<typeof waiting>>)).release();
          assert.equal(probe.transfers(), 0, 'young locks nobody read: every handoff passed them on');
          assert.equal(probe.releases(), 1, 'the last of them was a real release');
          // That release published: the other process's waiter competes with the last local one,
          // and both get the lock, one after the other.
          const rest = [holders[MAX_HANDOFFS], elsewhere].map((p, i) => (p as Promise<Awaited<typeof waiting>>).then((lock) => ({ i, lock })));
          const first = await Promise.race(rest);
          await first.lock.release();
          const second = await (rest[1 - first.i] as Promise<{ lock: Awaited<typeof waiting> }>);
          await second.lock.release();
        } finally {
          await other.close();
          await rs.close();
        }
      });

      test('a renewing holder stops renewing first, and the waiter gets its own ttl', async () => {
        const name = uniqueName();
        const probe = counting(cluster.nodes);
        const rs = new Redsync(probe.nodes, SLOW);
        try {
          const held = await rs.mutex(name, { autoExtend: true }).acquire();
          const waiting = rs.mutex(name, { ttl: 3 * MINUTE }).acquire();
          await subscribed(cluster, name);
          await until(() => probe.attempts() === 2, 'the waiter asleep in its line');
          assert.equal(await held.release(), true);
          const lock = await waiting;
          assert.equal(probe.transfers(), 1);
          await heldEverywhere(cluster, name, lock.value);
          const ttls = await Promise.all(cluster.admin.map((admin) => admin.pttl(name)));
          assert.ok(ttls.every((ttl) => ttl > 2 * MINUTE), `the waiter's 3-minute ttl on every node: ${JSON.stringify(ttls)}`);
          await lock.release();
        } finally {
          await rs.close();
        }
      });

      test('a waiter that aborts during its transfer gets nothing, and nothing is left behind', async () => {
        const name = uniqueName();
        const controller = new AbortController();
        const reason = new Error('gave up');
        // Abort exactly while the transfer is on its way to the nodes.
        const probe = counting(cluster.nodes, () => controller.abort(reason));
        const { rs, held, waiting } = await heldWithWaiter(probe, name, controller.signal);
        try {
          assert.ok(held.value.length > 0, 'read: transferred, not passed on');
          assert.equal(await held.release(), true);
          await assert.rejects(waiting, (error) => error === reason);
          assert.equal(probe.transfers(), 1);
          await heldEverywhere(cluster, name, null); // a release settles at its quorum: the rest follow (the handed-over lock was released)
        } finally {
          await rs.close();
        }
      });

      test('a transfer that cannot be won (the holder had expired) clears the key and the waiter takes it itself', async () => {
        const name = uniqueName();
        const probe = counting(cluster.nodes);
        const { rs, held, waiting } = await heldWithWaiter(probe, name);
        try {
          assert.ok(held.value.length > 0, 'read: transferred, not passed on (which would trust the holder\'s validity)');
          await Promise.all(cluster.admin.map((admin) => admin.del(name))); // as an expiry would
          assert.equal(await held.release(), false, 'the holder had nothing left to release');
          const lock = await waiting;
          assert.equal(probe.transfers(), 1);
          // Its attempt settled at a quorum: the last node's answer may still be on its way.
          await until(() => probe.attempts() === 3, 'the waiter attempting once more, on its own');
          await heldEverywhere(cluster, name, lock.value);
          await lock.release();
        } finally {
          await rs.close();
        }
      });
    });
  }
}
