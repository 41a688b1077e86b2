/**
 * Nothing of a failed attempt outlives it: a client may hold a SET back (a failover, a reconnect)
 * and send it after the library stopped waiting for it. Node 3's SETs are held at a gate here and
 * released at a chosen moment, as a replaying client would; the key they create must go when the
 * value they carry is done with (its call gave up, its lock was released), and stay while it is in
 * use. ttl 60 s: a key left behind would outlive every wait below.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LockNotAcquiredError, Redsync, type RedisNode } from '../../src/index.js';
import { nth, startCluster, uniqueName, until, valuesOf, type TestCluster } from '../support/cluster.js';

/** `node` whose SETs wait at a gate; `open()` lets them go, `landed` resolves with their replies. */
function gated(node: RedisNode) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const replies: Promise<unknown>[] = [];
  const wrapped: RedisNode = {
    ...node,
    setNX: (key, value, ttl) => {
      const reply = gate.then(() => node.setNX(key, value, ttl));
      replies.push(reply.catch(() => undefined));
      return reply;
    },
  };
  /** Lets the held SETs go; resolves once they were answered and their replies were read. */
  const release = async (): Promise<unknown[]> => {
    open();
    const answered = await Promise.all(replies);
    await new Promise((resolve) => setImmediate(resolve));
    return answered;
  };
  return { node: wrapped, release };
}

describe('writes that land after their round (a client replaying a held SET)', { timeout: 60_000 }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster('ioredis', 3);
  });
  after(() => cluster.close());
  const third = async (key: string): Promise<string | null> => nth(await valuesOf(cluster, key), 2);

  test('a call that gave up: its SET, landing after the clean-up, is deleted', async () => {
    const name = uniqueName();
    const late = gated(nth(cluster.nodes, 2));
    // Node 3 alone: its SET is held past the per-node timeout (60 ms), so the call fails.
    const rs = new Redsync([late.node], { ttl: 60_000, tries: 1, timeoutFactor: 0.001 });
    await assert.rejects(rs.mutex(name).acquire(), LockNotAcquiredError);
    assert.equal(await third(name), null, 'nothing there after the clean-up');
    assert.deepEqual(await late.release(), ['OK'], 'the held SET landed');
    await until(async () => (await third(name)) === null, 'the late key deleted');
    // And the lock is free for a contender at once, not after 60 s.
    const other = new Redsync([nth(cluster.nodes, 2)], { ttl: 60_000, tries: 1 });
    await (await other.mutex(name).acquire()).release();
  });

  test("a call that retried and won: its first attempt's timed-out SET, landing after the lock was released, is deleted", async () => {
    const name = uniqueName();
    const late = gated(nth(cluster.nodes, 2));
    // The first attempt's SET NX is held past the per-node timeout; the retry (the reclaim script,
    // under a fresh value) wins.
    const rs = new Redsync([late.node], { ttl: 60_000, timeoutFactor: 0.001, retryDelay: 1 });
    const lock = await rs.mutex(name).acquire();
    assert.equal(await lock.release(), true);
    assert.deepEqual(await late.release(), ['OK'], 'the held SET landed on the free key');
    await until(async () => (await third(name)) === null, 'the late key deleted');
  });

  test('a straggler of a won round, answering only after the release began, is left to that release (no extra round)', async () => {
    const name = uniqueName();
    const node = nth(cluster.nodes, 2);
    // Node 3 is slow but keeps order, as one connection does: its commands wait behind a gate,
    // one after another, so the release runs there after the SET.
    let open!: () => void;
    let queue: Promise<unknown> = new Promise<void>((resolve) => {
      open = resolve;
    });
    const inOrder = <T>(send: () => Promise<T>): Promise<T> => {
      const next = queue.then(send);
      queue = next.catch(() => undefined);
      return next;
    };
    const slow: RedisNode = {
      ...node,
      setNX: (key, value, ttl) => inOrder(() => node.setNX(key, value, ttl)),
      evalsha: (sha, keys, args) => inOrder(() => node.evalsha(sha, keys, args)),
      eval: (source, keys, args) => inOrder(() => node.eval(source, keys, args)),
    };
    const rs = new Redsync([nth(cluster.nodes, 0), nth(cluster.nodes, 1), slow], { ttl: 60_000 });
    const lock = await rs.mutex(name).acquire(); // won on nodes 1 and 2; node 3's SET waits
    const admin = nth(cluster.admin, 2);
    await admin.config('RESETSTAT');
    const released = lock.release(); // settles on nodes 1 and 2; node 3's release waits behind its SET
    assert.equal(await released, true);
    open();
    await queue;
    await new Promise((resolve) => setTimeout(resolve, 50)); // a reap would be sent at once
    // Scripts run on node 3 (EVALSHA answered, or EVAL after a NOSCRIPT): the release alone.
    const stats = await admin.info('commandstats');
    const count = (command: string, field: string): number => Number(new RegExp(`cmdstat_${command}:.*?${field}=(\\d+)`).exec(stats)?.[1] ?? 0);
    assert.equal(count('evalsha', 'calls') - count('evalsha', 'failed_calls') + count('eval', 'calls'), 1, 'no reap for a straggler its release covers');
    assert.deepEqual(await valuesOf(cluster, name), [null, null, null]);
  });

  test('a straggler SET landing while its lock is held stays (it is ours) and goes with the release', async () => {
    const name = uniqueName();
    const late = gated(nth(cluster.nodes, 2));
    const rs = new Redsync([nth(cluster.nodes, 0), nth(cluster.nodes, 1), late.node], { ttl: 60_000 });
    const lock = await rs.mutex(name).acquire();
    assert.deepEqual(await late.release(), ['OK']);
    // Reaping it would drop the lock to a bare quorum behind its holder's back.
    assert.equal(await third(name), lock.value, 'the late key is kept while the lock is held');
    assert.equal(await lock.release(), true);
    assert.deepEqual(await valuesOf(cluster, name), [null, null, null]);
  });

  test('after an attempt a node did not answer, the next attempt takes a fresh value (a replayed clean-up of the old one cannot delete it)', async () => {
    const name = uniqueName();
    const node = nth(cluster.nodes, 2);
    const values: string[] = [];
    let failFirst = true;
    const flaky: RedisNode = {
      ...node,
      setNX: (key, value, ttl) => {
        values.push(value);
        if (failFirst) {
          failFirst = false;
          return Promise.reject(new Error('connection lost (a failover)'));
        }
        return node.setNX(key, value, ttl);
      },
    };
    const rs = new Redsync([flaky], { ttl: 60_000, retryDelay: 1 });
    const lock = await rs.mutex(name).acquire();
    assert.equal(values.length, 1, 'the retry went through the reclaim script');
    assert.notEqual(lock.value, values[0], 'a fresh value after the failed attempt');
    assert.equal(await third(name), lock.value);
    assert.equal(await lock.release(), true);
  });
});
