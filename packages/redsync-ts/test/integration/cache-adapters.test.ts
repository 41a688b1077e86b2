/**
 * The cache through each client library on one node (hits, misses, set, delete, a waiter of another
 * process woken with the value), and with its store down.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redsync, type RedisNode } from '../../src/index.js';
import { cacheAttempt, cacheFill, cacheNotify, lockRelease } from '../../src/scripts/index.js';
import { ADAPTERS, nth, startCluster, uniqueName, until, type TestCluster, lacks } from '../support/cluster.js';
import { fillBeside } from '../support/gate.js';
import { wrapNode } from '../support/wrap-node.js';

for (const adapter of ADAPTERS) {
  describe(`cache basics (${adapter}, 1 node)`, () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster(adapter, 1);
    });
    after(() => cluster.close());

    test('a miss loads once for concurrent callers, then hits with one GET; set and delete', async () => {
      const rs = new Redsync(cluster.nodes);
      const cache = rs.cache<{ n: number }>({ ttl: 60_000 });
      const key = uniqueName('user');
      let calls = 0;
      const loader = async (): Promise<{ n: number }> => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { n: 1 };
      };
      const values = await Promise.all(Array.from({ length: 50 }, () => cache.get(key, loader)));
      assert.equal(calls, 1);
      assert.ok(values.every((v) => v?.n === 1));
      assert.deepEqual(await cache.get(key, loader), { n: 1 });
      assert.equal(calls, 1);
      await cache.set(key, { n: 2 });
      assert.deepEqual(await cache.get(key, loader), { n: 2 });
      await cache.delete(key);
      assert.deepEqual(await cache.get(key, loader), { n: 1 });
      assert.equal(calls, 2);
      const stats = cache.stats();
      assert.equal(stats.hits, 2);
      assert.equal(stats.misses, 51); // every caller of the cold burst read the store, and after the delete
      assert.equal(stats.waits, 49);
      await rs.close();
    });

    test('an entry filled between the miss and the fill lock comes with the lock: no loader call, no second read', async () => {
      const [node] = cluster.nodes as [RedisNode];
      const elsewhere = new Redsync(cluster.nodes);
      const other = elsewhere.cache<string>({ ttl: 60_000 });
      const key = uniqueName('meanwhile');
      const scripts: string[] = [];
      // The store's node as the cache sees it: the first GET of the entry misses, and someone else
      // fills the key before its answer arrives.
      const seen = wrapNode(node, {
        get: async () => {
          await other.set(key, 'theirs');
          return null;
        },
        evalsha: (sha, keys, args) => (scripts.push(sha), node.evalsha(sha, keys, args)),
      });
      const rs = new Redsync([seen]);
      const cache = rs.cache<string>({ ttl: 60_000 });
      assert.equal(await cache.get(key, () => 'ours'), 'theirs');
      assert.equal(cache.stats().fills, 0);
      // One script on the way: the fill lock's attempt, which read the entry beside its SET NX.
      assert.deepEqual(scripts.filter((sha) => sha !== cacheFill.sha1 && sha !== lockRelease.sha1), [cacheAttempt.sha1]);
      await Promise.all([rs.close(), elsewhere.close()]);
    });

    test('a fill that wrote nothing tells waiters elsewhere only once its lock is gone', async () => {
      const [node] = cluster.nodes as [RedisNode];
      const events: string[] = [];
      // A waiter that subscribed after the message re-reads the store: it must find no holder
      // there (and try the lock), not a finished filler's lock to wait out.
      const seen = wrapNode(node, {
        evalsha: async (sha, keys, args) => {
          if (sha === cacheNotify.sha1) events.push(`told ${String(args[0]).slice(0, 1)}`);
          const reply = await node.evalsha(sha, keys, args);
          if (sha === lockRelease.sha1) events.push('released');
          return reply;
        },
      });
      const rs = new Redsync([seen]);
      const cache = rs.cache<string>({ ttl: 60_000 });
      assert.equal(await cache.get(uniqueName('nothing'), () => undefined), undefined);
      await assert.rejects(cache.get(uniqueName('failing'), () => Promise.reject(new Error('db down'))), /db down/);
      await rs.close(); // waits for the releases and what follows them
      assert.deepEqual(events, ['released', 'told u', 'released', 'told e']);
    });

    test('a waiter of another process is woken with the value when it is written', { skip: lacks(adapter, 'feed') }, async () => {
      const filler = new Redsync(cluster.nodes);
      const waiter = new Redsync(await cluster.connect());
      const [a, b] = [filler.cache<string>({ ttl: 60_000 }), waiter.cache<string>({ ttl: 60_000 })];
      const key = uniqueName('woken');
      const listening = (): Promise<void> => until(async () => Number((await nth(cluster.admin, 0).pubsub('NUMSUB', `cache:${key}:filled`))[1]) > 0, 'the waiter to listen');
      assert.deepEqual(await fillBeside(a, b, key, 'filled', listening), ['filled', 'filled']);
      assert.equal(b.stats().fills, 0);
      await Promise.all([filler.close(), waiter.close()]);
    });
  });
}

describe('cache with its store down', () => {
  test('the loader is called directly, once per key in this process, with one warning', async () => {
    const cluster = await startCluster('ioredis', 1);
    const rs = new Redsync(cluster.nodes);
    const cache = rs.cache<string>({ ttl: 60_000, storeTimeout: 200 });
    await nth(cluster.servers, 0).kill();
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }): void => void warnings.push(w.code ?? '');
    process.on('warning', onWarning);
    try {
      let calls = 0;
      const loader = (): string => {
        calls += 1;
        return 'direct';
      };
      const values = await Promise.all(Array.from({ length: 10 }, () => cache.get('down', loader)));
      assert.deepEqual(new Set(values), new Set(['direct']));
      assert.equal(calls, 1);
      assert.equal(await cache.get('down', loader), 'direct');
      await until(() => warnings.length > 0, 'the warning');
      assert.deepEqual(warnings.filter((w) => w === 'REDSYNC_CACHE_STORE_DOWN'), ['REDSYNC_CACHE_STORE_DOWN']);
      const strict = rs.cache<string>({ ttl: 60_000, storeTimeout: 200, onStoreError: 'throw' });
      await assert.rejects(strict.get('down', loader), { name: 'CacheStoreError' });
    } finally {
      process.off('warning', onWarning);
      await rs.close();
      await cluster.close();
    }
  });

  test('a store that stops answering: the read fails by storeTimeout and concurrent callers share the fallback', async () => {
    const cluster = await startCluster('ioredis', 1);
    const rs = new Redsync(cluster.nodes);
    const cache = rs.cache<string>({ ttl: 60_000, storeTimeout: 200 });
    const strict = rs.cache<string>({ ttl: 60_000, storeTimeout: 200, onStoreError: 'throw' });
    const onWarning = (): void => undefined;
    process.on('warning', onWarning);
    const server = nth(cluster.servers, 0);
    try {
      await cache.set('paused', 'stored');
      server.pause();
      let calls = 0;
      const loader = (): string => {
        calls += 1;
        return 'direct';
      };
      // Three callers share one read; when it times out they share one direct load.
      assert.deepEqual(await Promise.all([cache.get('paused', loader), cache.get('paused', loader), cache.get('paused', loader)]), ['direct', 'direct', 'direct']);
      assert.equal(calls, 1);
      await assert.rejects(strict.get('paused', loader), { name: 'CacheStoreError', message: 'the cache store did not answer GET within 200 ms' });
      server.resume();
      // The late reply of the timed-out read changes nothing: the next get reads the store.
      assert.equal(await cache.get('paused', loader), 'stored');
      assert.equal(calls, 1);
    } finally {
      server.resume();
      process.off('warning', onWarning);
      await rs.close();
      await cluster.close();
    }
  });
});
