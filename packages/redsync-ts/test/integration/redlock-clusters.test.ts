/**
 * Redlock over three independent Redis Clusters (3 masters each, from the test kit): each Cluster
 * is one node of the Redsync, so a lock needs a majority of Clusters. Locks exclude, fences grow,
 * a waiter is woken by the release over sharded channels, and with one whole Cluster down the
 * other two still grant and release.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster } from 'ioredis';
import { Redsync, fromIoredis } from '../../src/index.js';
import { startCluster, type RedisCluster } from '../../src/testing/index.js';
import { uniqueName } from '../support/cluster.js';

describe('Redlock over 3 independent Redis Clusters (ioredis Cluster clients)', { timeout: 120_000 }, () => {
  const clusters: RedisCluster[] = [];
  const clients: Cluster[] = [];
  before(async () => {
    clusters.push(...(await Promise.all([0, 1, 2].map(() => startCluster({ masters: 3, replicasPerMaster: 0 })))));
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all(clusters.map((cluster) => cluster.stop()));
  });
  /** A Redsync whose nodes are the three Clusters, each through its own client. */
  const redsync = (): Redsync =>
    new Redsync(
      clusters.map((cluster) => {
        const client = new Cluster(cluster.addresses, { redisOptions: { maxRetriesPerRequest: 1 }, clusterRetryStrategy: () => 100 });
        client.on('error', () => undefined);
        clients.push(client);
        return fromIoredis(client);
      }),
      { ttl: 30_000 },
    );

  test('locks exclude, fences grow, and a waiter is woken by the release', async () => {
    const [a, b] = [redsync(), redsync()];
    const name = uniqueName('three-clusters');
    const first = await a.mutex(name, { fencing: true }).acquire();
    assert.equal(await b.mutex(name).tryAcquire(), null);
    const waiting = b.mutex(name, { fencing: true }).acquire({ timeout: 20_000 });
    await first.release();
    const second = await waiting; // a 30 s ttl and a 20 s timeout: only the release message is this fast
    assert.ok((second.fence ?? 0) > (first.fence ?? 0));
    assert.equal(await second.release(), true);
    await Promise.all([a.close(), b.close()]);
  });

  test('with one whole Cluster down, the other two still grant, exclude and release', async () => {
    const rs = redsync();
    const down = clusters[2] as RedisCluster;
    await Promise.all(down.servers.map((server) => server.stop()));
    const name = uniqueName('two-of-three');
    const lock = await rs.mutex(name).acquire();
    assert.equal(await redsync().mutex(name).tryAcquire(), null);
    assert.equal(await lock.release(), true);
    await rs.close();
  });
});
