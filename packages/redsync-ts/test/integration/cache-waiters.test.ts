/**
 * Waiters of another process registered by their lost attempt (cache-attempt.ts): told by the
 * filler on their process's own channel, with no SUBSCRIBE to the key's channel and no read of
 * their own; told of a `set` and of a loader's error the same way; and a fill whose write was
 * refused (a delete meanwhile) sends them to look again instead of leaving them to the lock's ttl.
 * With an ioredis `keyPrefix`, the channel a waiter registers is the one its subscriber listens on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { CacheFillError, fromIoredis, Redsync, type RedisNode } from '../../src/index.js';
import { cacheAttempt, cacheRead } from '../../src/scripts/index.js';
import { ADAPTERS, lacks, nth, startCluster, uniqueName, until, type TestCluster } from '../support/cluster.js';
import { heldLoader } from '../support/gate.js';

/** `node` with its scripts and its feed's subscriptions counted. */
function watched(node: RedisNode): { node: RedisNode; reads: () => number; attempts: () => number; channels: string[]; processChannel: Promise<void> } {
  const channels: string[] = [];
  let [reads, attempts] = [0, 0];
  let subscribed: () => void = () => undefined;
  const processChannel = new Promise<void>((resolve) => (subscribed = resolve));
  const listen = node.listen?.bind(node);
  const counted: RedisNode = {
    ...node,
    evalsha: (sha, keys, args) => {
      if (sha === cacheRead.sha1) reads += 1;
      if (sha === cacheAttempt.sha1) attempts += 1;
      return node.evalsha(sha, keys, args);
    },
    ...(listen === undefined
      ? {}
      : {
          listen: (onMessage, onDown) => {
            const feed = listen(onMessage, onDown);
            return {
              ...feed,
              subscribe: (channel) => {
                channels.push(channel);
                const confirmed = feed.subscribe(channel);
                // Settles before the library's own callback on the same promise (registered later).
                if (channel.startsWith('redsync-ts:waiters:')) void confirmed.then(subscribed, () => undefined);
                return confirmed;
              },
            };
          },
        }),
  };
  return { node: counted, reads: () => reads, attempts: () => attempts, channels, processChannel };
}

for (const adapter of ADAPTERS) {
  describe(`cache waiters registered by their attempt (${adapter}, 1 node)`, { skip: lacks(adapter, 'feed') }, () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster(adapter, 1);
    });
    after(() => cluster.close());

    /** A filler's cache, and a waiter's of its own connections whose process channel is subscribed. */
    async function pair(): Promise<{ a: ReturnType<Redsync['cache']>; b: ReturnType<Redsync['cache']>; seen: ReturnType<typeof watched>; close: () => Promise<void> }> {
      const filler = new Redsync(cluster.nodes);
      const seen = watched(nth(await cluster.connect(), 0));
      const waiter = new Redsync([seen.node]);
      const [a, b] = [filler.cache({ ttl: 60_000 }), waiter.cache({ ttl: 60_000 })];
      // The waiter's first wait listens on the key's channel, and subscribes its process channel.
      const key = uniqueName('first');
      const loader = heldLoader<string>();
      const filling = a.get(key, loader.load);
      await loader.started;
      const waiting = b.get(key, () => 'not this');
      await until(() => seen.reads() === 1, 'the first waiter to read after listening');
      loader.open('first');
      assert.deepEqual(await Promise.all([filling, waiting]), ['first', 'first']);
      await seen.processChannel;
      await new Promise((resolve) => setImmediate(resolve));
      return { a, b, seen, close: () => Promise.all([filler.close(), waiter.close()]).then(() => undefined) };
    }

    /** Resolves once a waiter is registered for `key` on the store. */
    const registered = (key: string): Promise<void> =>
      until(async () => (await nth(cluster.admin, 0).keys(`*${key}*:waiters`)).length === 1, 'the waiter to be registered');

    test('told by the filler: no SUBSCRIBE to the key, no read; one attempt for every caller', async () => {
      const { a, b, seen, close } = await pair();
      const key = uniqueName('told');
      const [readsBefore, attemptsBefore] = [seen.reads(), seen.attempts()];
      const loader = heldLoader<string>();
      const filling = a.get(key, loader.load);
      await loader.started;
      const waiting = Promise.all(Array.from({ length: 8 }, () => b.get(key, () => 'not this')));
      await registered(key);
      loader.open('filled');
      assert.equal(await filling, 'filled');
      assert.deepEqual(await waiting, Array.from({ length: 8 }, () => 'filled'));
      assert.equal(seen.reads() - readsBefore, 0, 'no read after the attempt');
      assert.equal(seen.attempts() - attemptsBefore, 1);
      assert.ok(!seen.channels.some((channel) => channel.includes(key)), 'no subscription to the key');
      assert.equal((await nth(cluster.admin, 0).keys(`*${key}*:waiters`)).length, 0, 'the fill emptied the waiters set');
      assert.equal(b.stats().fills, 0);
      await close();
    });

    test("told of a set, and of the loader's error", async () => {
      const { a, b, close } = await pair();
      const setKey = uniqueName('set');
      const held = heldLoader<string>();
      const filling = a.get(setKey, held.load);
      await held.started;
      const waiting = b.get(setKey, () => 'not this');
      await registered(setKey);
      await a.set(setKey, 'set meanwhile');
      assert.equal(await waiting, 'set meanwhile');
      held.open('late');
      assert.equal(await filling, 'late'); // its write is refused: the set's entry is newer
      assert.equal(await b.get(setKey, () => 'not this'), 'set meanwhile');

      const errorKey = uniqueName('error');
      const failing = heldLoader<string>();
      const failed = a.get(errorKey, () => failing.load().then(() => Promise.reject(new Error('database down'))));
      await failing.started;
      const told = b.get(errorKey, () => 'not this');
      await registered(errorKey);
      failing.open('');
      await assert.rejects(failed, /database down/);
      await assert.rejects(told, (error: unknown) => error instanceof CacheFillError && /database down/.test(error.message));
      await close();
    });

    test('a process that only fills subscribes no channel of its own', async () => {
      const processChannels = async (): Promise<string[]> => (await nth(cluster.admin, 0).pubsub('CHANNELS', 'redsync-ts:waiters:*')) as string[];
      const before = new Set(await processChannels());
      const rs = new Redsync(await cluster.connect());
      const cache = rs.cache<string>({ ttl: 60_000 });
      for (const name of ['a', 'b', 'c']) assert.equal(await cache.get(uniqueName(name), () => name), name);
      assert.equal(cache.stats().fills, 3);
      assert.deepEqual((await processChannels()).filter((channel) => !before.has(channel)), []);
      await rs.close();
    });

    test("a fill whose write a delete refused sends waiters to look again: one loads, before the lock's ttl", { timeout: 20_000 }, async () => {
      // Fill locks of a minute: a waiter left to the lock's ttl would fail by the test's timeout.
      const filler = new Redsync(cluster.nodes);
      const waiter = new Redsync(await cluster.connect());
      const [a, b] = [filler.cache<string>({ ttl: 60_000, lock: { ttl: 60_000 } }), waiter.cache<string>({ ttl: 60_000, lock: { ttl: 60_000 } })];
      const key = uniqueName('deleted');
      const loader = heldLoader<string>();
      const filling = a.get(key, loader.load);
      await loader.started;
      const waiting = b.get(key, () => 'reloaded');
      await until(async () => Number((await nth(cluster.admin, 0).pubsub('NUMSUB', `cache:${key}:filled`))[1]) > 0, 'the waiter to listen');
      await a.delete(key);
      loader.open('read before the delete');
      assert.equal(await filling, 'read before the delete');
      assert.equal(await waiting, 'reloaded');
      assert.equal(b.stats().fills, 1);
      assert.equal(await a.get(key, () => 'not this'), 'reloaded');
      await Promise.all([filler.close(), waiter.close()]);
    });

    test('an ioredis keyPrefix: the registered channel carries it as the subscription does; told, no read', { skip: adapter !== 'ioredis' && 'an ioredis option' }, async () => {
      const clients = [0, 1].map(() => new Redis({ path: nth(cluster.servers, 0).socket, keyPrefix: 'app:' }));
      const filler = new Redsync([fromIoredis(nth(clients, 0))]);
      const seen = watched(fromIoredis(nth(clients, 1)));
      const waiter = new Redsync([seen.node]);
      const [a, b] = [filler.cache<string>({ ttl: 60_000 }), waiter.cache<string>({ ttl: 60_000 })];
      for (const [round, value] of ['first', 'second'].entries()) {
        const key = uniqueName(value);
        const readsBefore = seen.reads();
        const loader = heldLoader<string>();
        const filling = a.get(key, loader.load);
        await loader.started;
        const waiting = b.get(key, () => 'not this');
        // The first wait subscribes per key (and the process channel); the second is registered.
        if (round === 0) await until(() => seen.reads() === readsBefore + 1, 'the first waiter to read after listening');
        else await until(async () => (await nth(cluster.admin, 0).keys(`app:*${key}*:waiters`)).length === 1, 'the waiter to be registered');
        loader.open(value);
        assert.deepEqual(await Promise.all([filling, waiting]), [value, value]);
        if (round === 0) {
          await seen.processChannel;
          await new Promise((resolve) => setImmediate(resolve));
        } else assert.equal(seen.reads(), readsBefore, 'told on its channel: no read');
      }
      await Promise.all([filler.close(), waiter.close()]);
      for (const client of clients) client.disconnect();
    });
  });
}
