/**
 * valkey-glide's `GlideClusterClient` through `fromGlide` on the kit's Cluster: locks across slots,
 * fences, a multi-lock over slots, and WAIT on the key's primary. (`GlideClient` on standalone
 * servers runs the whole per-client suite: support/cluster.ts's ADAPTERS.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GlideClusterClient, Logger } from '@valkey/valkey-glide';
import { LockNotAcquiredError, Redsync, ReplicasNotConfirmedError, fromGlide, keySlot } from '../../src/index.js';
import { startCluster, type RedisCluster } from '../../src/testing/index.js';
import { uniqueName } from '../support/cluster.js';

Logger.setLoggerConfig('off'); // glide logs every error reply (a NOSCRIPT included) by default

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
