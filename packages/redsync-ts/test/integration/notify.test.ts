/**
 * Waiters woken by release notifications, per client library, on 1 and 3 nodes. The retry delays
 * and ttls here are a minute long, so only a notification (or the holder's ttl, where the test
 * says so) can explain a waiter getting the lock within the test's timeout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redsync, type RedisNode } from '../../src/index.js';
import { releaseChannelOf } from '../../src/keys.js';
import { lockReclaim } from '../../src/scripts/index.js';
import { ADAPTERS, heldEverywhere, startCluster, uniqueName, until, valuesOf, type TestCluster, lacks } from '../support/cluster.js';

const MINUTE = 60_000;
const SLOW = { ttl: MINUTE, retryDelay: MINUTE, tries: 1000 };

/** Runs `work` with a Redsync over `nodes` (a second "process"), and closes it afterwards. */
async function withWaiterSide(nodes: RedisNode[], work: (waiterSide: Redsync) => Promise<void>): Promise<void> {
  const waiterSide = new Redsync(nodes, SLOW);
  try {
    await work(waiterSide);
  } finally {
    await waiterSide.close();
  }
}

/** Subscriber connections on every server. */
function subscriberCounts(cluster: TestCluster): Promise<number[]> {
  return Promise.all(cluster.admin.map(async (admin) => String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')).split('\n').filter((line) => line.trim() !== '').length));
}

/** Resolves once every server has a subscriber on `key`'s release channel. */
function subscribed(cluster: TestCluster, key: string): Promise<void> {
  return until(async () => {
    const counts = await Promise.all(cluster.admin.map(async (admin) => Number((await admin.pubsub('NUMSUB', releaseChannelOf(key)))[1])));
    return counts.every((count) => count > 0);
  }, `a subscriber on ${key}`);
}

/**
 * `value` holds `key` on a quorum. A woken waiter may win before the release reached every node
 * (it heard it from the fastest one): a quorum is all Redlock promises.
 */
async function assertHeld(cluster: TestCluster, key: string, value: string): Promise<void> {
  const values = await valuesOf(cluster, key);
  assert.ok(values.filter((v) => v === value).length >= Math.floor(values.length / 2) + 1, `held on a quorum: ${JSON.stringify(values.map((v) => v === value))}`);
}

/**
 * Wraps nodes to count attempts. An attempt that meets a holder runs the reclaim script once per
 * node (after a failed `SET NX` on a first attempt, as the whole attempt on a retry); `SET NX` is
 * sent only by first attempts.
 */
function counting(nodes: readonly RedisNode[]): { nodes: RedisNode[]; attempts: () => number; firstAttempts: () => number } {
  let sets = 0;
  let reclaims = 0;
  const wrapped = nodes.map((node) => ({
    ...node,
    setNX: (key: string, value: string, ttl: number) => ((sets += 1), node.setNX(key, value, ttl)),
    evalsha: (sha: string, keys: readonly string[], args: readonly string[]) => ((reclaims += sha === lockReclaim.sha1 ? 1 : 0), node.evalsha(sha, keys, args)),
  }));
  return { nodes: wrapped, attempts: () => reclaims / nodes.length, firstAttempts: () => sets / nodes.length };
}

for (const adapter of ADAPTERS) {
  for (const n of [1, 3]) {
    describe(`release notifications on ${n} node(s) via ${adapter}`, { timeout: 30_000, skip: lacks(adapter, 'feed') }, () => {
      let cluster: TestCluster;
      let holderSide: Redsync;
      before(async () => {
        cluster = await startCluster(adapter, n);
        holderSide = new Redsync(await cluster.connect(), SLOW);
      });
      after(async () => {
        await holderSide.close();
        await cluster.close();
      });

      test('a waiter is woken by the release, with a minute of retry delay and ttl left', async () => {
        const name = uniqueName();
        await withWaiterSide(cluster.nodes, async (waiterSide) => {
          const held = await holderSide.mutex(name).acquire();
          await heldEverywhere(cluster, name, held.value); // acquire returns at the quorum: no straggler races the waiter
          const waiting = waiterSide.mutex(name).acquire();
          await subscribed(cluster, name);
          await held.release();
          const lock = await waiting;
          await assertHeld(cluster, name, lock.value);
          await lock.release();
        });
      });

      test('one release wakes one waiter of a process, not all of them', async () => {
        const name = uniqueName();
        const probe = counting(cluster.nodes);
        const controller = new AbortController();
        await withWaiterSide(probe.nodes, async (waiterSide) => {
          const held = await holderSide.mutex(name).acquire();
          await heldEverywhere(cluster, name, held.value); // acquire returns at the quorum: no straggler races the waiter
          const mutex = waiterSide.mutex(name);
          const waiters = Array.from({ length: 5 }, () => mutex.acquire({ signal: controller.signal }));
          await subscribed(cluster, name);
          // 5 first attempts, plus exactly one retry when the subscription was confirmed (a release
          // may have slipped in before it).
          await until(() => probe.attempts() === 6, '6 attempts');
          await held.release();
          const winner = await Promise.race(waiters);
          // One waiter answers; it goes again only if it reached a node before the release did
          // (then it heard that node's message too), so at most once per node. A herd would be 5.
          const answers = probe.attempts() - 6;
          assert.ok(answers >= 1 && answers <= n, `${String(answers)} attempts answered one release`);
          controller.abort();
          const outcomes = await Promise.allSettled(waiters);
          assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
          await winner.release();
        });
      });

      test('a newcomer in a process with waiters queues behind them instead of barging in', async () => {
        const name = uniqueName();
        const probe = counting(cluster.nodes);
        await withWaiterSide(probe.nodes, async (waiterSide) => {
          const held = await holderSide.mutex(name).acquire();
          await heldEverywhere(cluster, name, held.value); // acquire returns at the quorum: no straggler races the waiter
          const order: string[] = [];
          const first = waiterSide.mutex(name).acquire().then((lock) => (order.push('first'), lock));
          await subscribed(cluster, name);
          await until(() => probe.attempts() === 2, 'the first waiter tried twice (before and after subscribing)');
          const second = waiterSide.mutex(name).acquire().then((lock) => (order.push('second'), lock));
          // A barging newcomer would have sent its SET NX synchronously, inside acquire().
          assert.equal(probe.firstAttempts(), 1, 'the newcomer sent no SET NX of its own');
          assert.equal(probe.attempts(), 2, 'the newcomer made no attempt of its own while the first waited');
          await held.release();
          const firstLock = await first;
          // The newcomer never attempted, so it raised no waiting flag and this release publishes
          // nothing: its own process wakes it (a minute of retry delay would outlast the test).
          await firstLock.release();
          await (await second).release();
          assert.deepEqual(order, ['first', 'second']);
        });
      });

      test('a release that publishes nothing (a go-redsync holder, an expiry) is bounded by the holder ttl', async () => {
        const name = uniqueName();
        await withWaiterSide(cluster.nodes, async (waiterSide) => {
          // A foreign holder with a short ttl, whose "release" is its key expiring.
          await Promise.all(cluster.admin.map((admin) => admin.set(name, 'go-holder', 'PX', 300)));
          const lock = await waiterSide.mutex(name).acquire();
          await assertHeld(cluster, name, lock.value);
          await lock.release();
        });
      });

      test('a killed subscriber connection loses wake-ups but not the lock, and comes back', async () => {
        const name = uniqueName();
        await withWaiterSide(cluster.nodes, async (waiterSide) => {
          const held = await holderSide.mutex(name, { ttl: 400 }).acquire();
          await heldEverywhere(cluster, name, held.value); // acquire returns at the quorum: no straggler races the waiter
          const waiting = waiterSide.mutex(name).acquire();
          await subscribed(cluster, name);
          await Promise.all(cluster.admin.map((admin) => admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')));
          const first = await waiting; // by the holder's ttl: its release was never heard
          assert.notEqual(first.value, held.value);
          // The client reconnects and resubscribes: the next release is heard again.
          const waitingAgain = waiterSide.mutex(name).acquire();
          await subscribed(cluster, name);
          await first.release();
          const second = await waitingAgain;
          await assertHeld(cluster, name, second.value);
          await second.release();
        });
      });

      test('abort while waiting rejects with the reason and leaves only the holder', async () => {
        const name = uniqueName();
        await withWaiterSide(cluster.nodes, async (waiterSide) => {
          const held = await holderSide.mutex(name).acquire();
          // Acquire returns at the quorum: let the last node's SET land before a waiter races it.
          await heldEverywhere(cluster, name, held.value);
          const controller = new AbortController();
          const waiting = waiterSide.mutex(name).acquire({ signal: controller.signal });
          await subscribed(cluster, name);
          const reason = new Error('no longer needed');
          controller.abort(reason);
          await assert.rejects(waiting, (error) => error === reason);
          await heldEverywhere(cluster, name, held.value);
          await held.release();
        });
      });

      test('close() leaves no subscriber connection, and the clients given to it keep working', async () => {
        const name = uniqueName();
        const waiterSide = new Redsync(cluster.nodes, SLOW);
        const held = await holderSide.mutex(name).acquire();
        await heldEverywhere(cluster, name, held.value); // acquire returns at the quorum: no straggler races the waiter
        const waiting = waiterSide.mutex(name, { retryDelay: 20 }).acquire();
        await subscribed(cluster, name);
        assert.ok((await subscriberCounts(cluster)).every((count) => count >= 1));
        await waiterSide.close();
        await until(async () => (await subscriberCounts(cluster)).every((count) => count === 0), 'no subscriber left');
        // The waiter goes on, on its retry delay, over the user's clients, opening nothing new.
        await held.release();
        const lock = await waiting;
        await assertHeld(cluster, name, lock.value);
        assert.equal(await lock.release(), true);
        assert.deepEqual(await subscriberCounts(cluster), Array(n).fill(0));
        await waiterSide.close(); // idempotent
      });
    });
  }
}
