/**
 * iovalkey (the Valkey fork of ioredis), wrapped with `fromIoredis`: a subset of the suite on 1
 * and 3 nodes (the ioredis, node-redis 5 and node-redis 4 runs cover the rest): exclusion, a
 * waiter woken by the release, fences, and each primitive and the cache once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redsync } from '../../src/index.js';
import { startCluster, uniqueName, type TestCluster } from '../support/cluster.js';

for (const count of [1, 3]) {
  describe(`iovalkey (${String(count)} node(s))`, () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster('iovalkey', count);
    });
    after(() => cluster.close());

    test('locks exclude, fences grow, and a waiter is woken by the release', async () => {
      const rs = new Redsync(cluster.nodes, { ttl: 60_000, fencing: true });
      const name = uniqueName('valkey');
      const first = await rs.mutex(name).acquire();
      assert.equal(await rs.mutex(name).tryAcquire(), null);
      const waiting = rs.mutex(name).acquire({ timeout: 20_000 });
      await first.release();
      const second = await waiting; // a 60 s ttl and a 20 s timeout: only the release message is this fast
      assert.ok((second.fence ?? 0) > (first.fence ?? 0));
      await second.release();
      await rs.close();
    });

    test('semaphore, read-write lock, multi-lock, fair lock and cache', async () => {
      const rs = new Redsync(cluster.nodes, { ttl: 30_000 });
      const name = uniqueName('valkey');
      const permits = await Promise.all([1, 2].map(() => rs.semaphore(`${name}:sem`, { limit: 2 }).acquire({ timeout: 10_000 })));
      assert.equal(await rs.semaphore(`${name}:sem`, { limit: 2 }).tryAcquire(), null);
      const read = await rs.rwlock(`${name}:rw`).read().acquire();
      assert.equal(await rs.rwlock(`${name}:rw`).write().tryAcquire(), null);
      const both = await rs.multiLock([`${name}:a`, `${name}:b`]).acquire();
      assert.equal(await rs.mutex(`${name}:b`).tryAcquire(), null);
      const fair = await rs.fairLock(`${name}:fair`).acquire();
      assert.equal(await rs.fairLock(`${name}:fair`).tryAcquire(), null);
      await Promise.all([...permits, read, both, fair].map((hold) => hold.release()));
      let loads = 0;
      const cache = rs.cache<string>({ ttl: 30_000, prefix: `${name}:cache:` });
      const values = await Promise.all([1, 2, 3].map(() => cache.get('k', () => Promise.resolve(`v${String(++loads)}`))));
      assert.deepEqual(values, ['v1', 'v1', 'v1']);
      await rs.close();
    });
  });
}
