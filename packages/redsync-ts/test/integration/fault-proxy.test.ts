import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { LockNotAcquiredError, Redsync, fromIoredis, type RedisNode } from '../../src/index.js';
import { FaultProxy, startRedisServers, stopRedisServers, type RedisServer } from '../../src/testing/index.js';
import { uniqueName, until } from '../support/cluster.js';

describe('network faults through the fault proxy (5 nodes, loopback)', () => {
  let servers: RedisServer[];
  let proxies: FaultProxy[];
  let clients: Redis[];
  let nodes: RedisNode[];
  let admin: Redis[];
  before(async () => {
    servers = await startRedisServers(5);
    proxies = await Promise.all(servers.map((s) => FaultProxy.start({ path: s.socket })));
    clients = proxies.map((p) => {
      const client = new Redis({ port: p.port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 20, lazyConnect: true });
      client.on('error', () => undefined);
      return client;
    });
    await Promise.all(clients.map((c) => c.connect()));
    nodes = clients.map((c) => fromIoredis(c));
    admin = servers.map((s) => new Redis({ path: s.socket }));
  });
  afterEach(async () => {
    for (const proxy of proxies) proxy.heal();
    await until(() => clients.every((c) => c.status === 'ready'), 'clients to reconnect');
  });
  after(async () => {
    for (const c of [...clients, ...admin]) c.disconnect();
    await Promise.all(proxies.map((p) => p.close()));
    await stopRedisServers(servers);
  });

  test('latency beyond the per-node timeout on 2 of 5 nodes: the lock is still granted by the other 3', async () => {
    proxies[0]?.latency(300, 100);
    proxies[1]?.latency(300, 100);
    const rs = new Redsync(nodes, { ttl: 2000 });
    const lock = await rs.mutex(uniqueName()).acquire();
    assert.ok(lock.remaining() > 0);
    await lock.release();
    // The slow nodes' late SETs may land after the release: the ttl bounds them.
    await until(async () => (await Promise.all(admin.map((a) => a.exists(lock.key)))).every((n) => n === 0), 'no key left past its ttl');
  });

  test('a blackholed minority costs the per-node timeout, not a hang', async () => {
    proxies[3]?.blackhole();
    proxies[4]?.blackhole();
    const lock = await new Redsync(nodes, { ttl: 2000 }).mutex(uniqueName()).acquire();
    assert.equal(await lock.release(), true);
  });

  test('a blackholed majority: LockNotAcquiredError with timeouts per node', async () => {
    for (const i of [0, 1, 2]) proxies[i]?.blackhole();
    const error = await new Redsync(nodes, { ttl: 1000, tries: 2, retryDelay: 0 }).mutex(uniqueName()).acquire().catch((e: unknown) => e);
    assert.ok(error instanceof LockNotAcquiredError);
    const failed = error.outcomes.filter((o) => o.verdict === 'error').map((o) => o.node);
    assert.deepEqual(failed, [0, 1, 2]);
    assert.ok(error.outcomes.filter((o) => o.error !== undefined).every((o) => (o.error?.cause as Error).name === 'TimeoutError'));
  });

  test('connections reset on every node mid-hold: release fails typed, the key expires by its ttl', async () => {
    const lock = await new Redsync(nodes, { ttl: 500 }).mutex(uniqueName()).acquire();
    for (const proxy of proxies) {
      proxy.blackhole();
      proxy.reset();
    }
    await assert.rejects(lock.release(), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'LOCK_RELEASE_FAILED');
    await until(async () => (await Promise.all(admin.map((a) => a.exists(lock.key)))).every((n) => n === 0), 'the key to expire');
  });
});
