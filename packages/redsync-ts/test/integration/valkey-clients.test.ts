/**
 * iovalkey (the Valkey fork of ioredis), wrapped with `fromIoredis`: a subset of the suite on 1
 * and 3 nodes (the ioredis, node-redis 5 and node-redis 4 runs cover the rest): exclusion, a
 * waiter woken by the release, fences, and each primitive and the cache once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redsync } from '../../src/index.js';
import { startCluster, uniqueName, type TestCluster } from '../support/cluster.js';
import { primitivesAndCache } from '../support/primitives-smoke.js';

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

    test('semaphore, read-write lock, multi-lock, fair lock and cache', () => primitivesAndCache(cluster.nodes, 'valkey'));
  });
}
