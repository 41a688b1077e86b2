/**
 * Waiters that stop polling: with a confirmed subscription, a process's waiters make no attempt
 * at their retry delay (5 ms here); only the head of the process's wait line attempts, when a
 * release is heard. And `tries` sets how long they wait, not how many releases they may hear.
 * Per client library, on 1 and 3 nodes. "Meanwhile" is measured in the attempts of a polling
 * contender (no notifications, same 5 ms delay), not in wall time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LockTakenError, Redsync, type RedisNode } from '../../src/index.js';
import { ADAPTERS, heldEverywhere, startCluster, uniqueName, until, type TestCluster, lacks } from '../support/cluster.js';
import { MINUTE, counting, subscribed } from '../support/handoff-probe.js';

const FAST = { ttl: MINUTE, retryDelay: 5, tries: Infinity };
const WAITERS = 5;
const POLLS = 40;

/** Nodes without release notifications: their waiters poll. */
function deaf(nodes: readonly RedisNode[]): RedisNode[] {
  return nodes.map((node) => ({
    setNX: (key, value, ttl) => node.setNX(key, value, ttl),
    evalsha: (sha, keys, args) => node.evalsha(sha, keys, args),
    eval: (source, keys, args) => node.eval(source, keys, args),
  }));
}

for (const adapter of ADAPTERS) {
  for (const n of [1, 3]) {
    describe(`waiters that do not poll on ${n} node(s) via ${adapter}`, { timeout: 30_000, skip: lacks(adapter, 'feed') }, () => {
      let cluster: TestCluster;
      let holderSide: Redsync;
      before(async () => {
        cluster = await startCluster(adapter, n);
        holderSide = new Redsync(await cluster.connect(), { ttl: MINUTE });
      });
      after(async () => {
        await holderSide.close();
        await cluster.close();
      });

      test(`${String(WAITERS)} waiters with a 5 ms retry delay: no attempt while ${String(POLLS)} polls go by; one attempter per process`, async () => {
        const name = uniqueName();
        const probe = counting(cluster.nodes);
        const polls = counting(deaf(cluster.nodes));
        const waiterSide = new Redsync(probe.nodes, FAST);
        const poller = new Redsync(polls.nodes, FAST);
        try {
          const held = await holderSide.mutex(name).acquire();
          const mutex = waiterSide.mutex(name);
          // Each waiter releases as soon as it has the lock: the next one gets it handed on.
          const waiters = Array.from({ length: WAITERS }, () => mutex.acquire().then((lock) => lock.release()));
          await subscribed(cluster, name);
          // Until then the head polled (no subscription was confirmed yet), and it attempts once
          // more on the confirmation (a release may have slipped in before it): let that land,
          // during the poller's first polls.
          const controller = new AbortController();
          const polling = poller.mutex(name).acquire({ signal: controller.signal }).catch(() => undefined);
          await until(() => polls.attempts() >= 10, '10 polls');
          const settled = probe.attempts();
          await until(() => polls.attempts() >= 10 + POLLS, `${String(POLLS)} more polls`);
          assert.equal(probe.attempts(), settled, 'no attempt at the retry delay while the subscription is confirmed');
          controller.abort();
          await polling;
          await held.release();
          // One release heard: the head attempts and wins; the rest get the lock handed on.
          assert.deepEqual(await Promise.all(waiters), Array(WAITERS).fill(true));
          assert.ok(probe.attempts() <= settled + WAITERS, `${String(probe.attempts() - settled)} attempts for ${String(WAITERS)} grants after the release`);
          await heldEverywhere(cluster, name, null);
        } finally {
          await Promise.all([waiterSide.close(), poller.close()]);
        }
      });

      test('tries sets how long a waiter waits: with tries 3 and 20 ms delays it gives up behind a minute-long holder, after its last try', async () => {
        const name = uniqueName();
        const probe = counting(cluster.nodes);
        const waiterSide = new Redsync(probe.nodes, { ttl: MINUTE, tries: 3, retryDelay: 20 });
        try {
          const held = await holderSide.mutex(name).acquire();
          const error = await waiterSide
            .mutex(name)
            .acquire()
            .catch((e: unknown) => e);
          assert.ok(error instanceof LockTakenError, String(error));
          assert.equal(error.timedOut, false);
          // The first attempt, maybe one after the subscription was confirmed, maybe one woken by
          // the announced clean-up of an attempt that won a node (seen once under CI load), the
          // last try. At 20 ms a poller would make far more; the point is that this one does not.
          assert.ok(probe.attempts() >= 2 && probe.attempts() <= 4, `${String(probe.attempts())} attempts`);
          await heldEverywhere(cluster, name, held.value);
          await held.release();
        } finally {
          await waiterSide.close();
        }
      });
    });
  }
}
