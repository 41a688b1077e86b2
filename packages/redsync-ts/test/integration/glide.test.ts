/**
 * valkey-glide (`@valkey/valkey-glide`, its native core from the npm package) through `fromGlide`:
 * a subset of the suite on 1 and 3 standalone nodes (TCP: glide takes no unix sockets) and on the
 * kit's Cluster through `GlideClusterClient`: exclusion, fences, a waiter, each primitive and the
 * cache, NOSCRIPT recovery, and WAIT on the key's primary.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GlideClient, GlideClusterClient, Logger } from '@valkey/valkey-glide';
import { Redis } from 'ioredis';
import { LockNotAcquiredError, Redsync, ReplicasNotConfirmedError, fromGlide, keySlot, type RedisNode } from '../../src/index.js';
import { startCluster, startRedisServers, stopRedisServers, type RedisCluster, type RedisServer } from '../../src/testing/index.js';
import { primitivesAndCache } from '../support/primitives-smoke.js';
import { uniqueName } from '../support/cluster.js';

Logger.setLoggerConfig('off'); // glide logs every error reply (a NOSCRIPT included) by default

for (const count of [1, 3]) {
  describe(`valkey-glide GlideClient (${String(count)} node(s))`, () => {
    let servers: RedisServer[];
    const clients: GlideClient[] = [];
    let nodes: RedisNode[];
    before(async () => {
      servers = await startRedisServers(count, { tcp: true });
      for (const server of servers) clients.push(await GlideClient.createClient({ addresses: [{ host: '127.0.0.1', port: server.port as number }], requestTimeout: 2000 }));
      nodes = clients.map((client) => fromGlide(client));
    });
    after(async () => {
      for (const client of clients) client.close();
      await stopRedisServers(servers);
    });

    test('locks exclude, fences grow, a waiter gets the lock after the release, and NOSCRIPT is recovered', async () => {
      const rs = new Redsync(nodes, { ttl: 60_000, fencing: true });
      const name = uniqueName('glide');
      const first = await rs.mutex(name).acquire();
      assert.equal(await new Redsync(nodes).mutex(name).tryAcquire(), null);
      const waiting = new Redsync(nodes).mutex(name, { fencing: true }).acquire({ timeout: 20_000 });
      await first.release();
      const second = await waiting; // no feed: the waiter's retry delay finds the lock free
      assert.ok((second.fence ?? 0) > (first.fence ?? 0));
      for (const server of servers) {
        const admin = new Redis({ path: server.socket });
        await admin.script('FLUSH');
        admin.disconnect();
      }
      assert.equal(await second.release(), true, 'the release script was sent again with EVAL after NOSCRIPT');
      await rs.close();
    });

    test('semaphore, read-write lock, multi-lock, fair lock and cache', () => primitivesAndCache(nodes, 'glide'));
  });
}

describe('valkey-glide GlideClusterClient (3 masters with a replica each)', () => {
  let cluster: RedisCluster;
  let client: GlideClusterClient;
  before(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
    client = await GlideClusterClient.createClient({ addresses: cluster.addresses.map(({ host, port }) => ({ host, port })), requestTimeout: 2000 });
  });
  after(async () => {
    client.close();
    await cluster.stop();
  });

  test('every command goes to the primary of its key: locks across slots, fences, a multi-lock over slots, waitReplicas', async () => {
    const rs = new Redsync([fromGlide(client)], { ttl: 30_000, fencing: true, waitReplicas: 1 });
    const names = [uniqueName('glide-a'), uniqueName('glide-b'), uniqueName('glide-c')];
    assert.ok(new Set(names.map(keySlot)).size > 1, 'names in several slots');
    const locks = await Promise.all(names.map((name) => rs.mutex(name).acquire()));
    for (const name of names) assert.equal(await new Redsync([fromGlide(client)]).mutex(name).tryAcquire(), null);
    await Promise.all(locks.map((lock) => lock.release()));
    const multi = await new Redsync([fromGlide(client)]).multiLock(names).acquire();
    await multi.release();
    const again = await rs.mutex(names[0] as string).acquire();
    assert.ok((again.fence ?? 0) > (locks[0]?.fence ?? 0));
    await again.release();
    // WAIT must reach the key's primary (a keyless command would go anywhere and, on a connection
    // that wrote nothing, confirm at once): with that primary's replica stopped, it comes up short.
    const name = names[1] as string;
    const [replica] = await cluster.replicasOf(await cluster.masterOf(keySlot(name)));
    assert.ok(replica !== undefined);
    replica.pause();
    try {
      const error = await new Redsync([fromGlide(client)], { ttl: 30_000, tries: 1, waitReplicas: 1 }).mutex(name).acquire().catch((e: unknown) => e);
      assert.ok(error instanceof LockNotAcquiredError && error.outcomes[0]?.error?.cause instanceof ReplicasNotConfirmedError, String(error));
    } finally {
      replica.resume();
    }
    await rs.close();
  });
});
