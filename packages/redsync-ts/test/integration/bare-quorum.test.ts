/**
 * A renewing lock held on a bare quorum (its key gone from one of 3 nodes: a node restarted
 * empty, a split vote that never set it there) is still held: every renewal is confirmed by the
 * other two, so its validity keeps advancing and its signal stays quiet.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redsync } from '../../src/index.js';
import { ADAPTERS, heldEverywhere, nth, startCluster, uniqueName, until, valuesOf, type TestCluster } from '../support/cluster.js';

// Short enough for 5 ttls to pass quickly, long enough that a renewal round on a loaded machine
// (glide's renewals missed their 75 ms once at ttl 300) fits its per-node deadline.
const TTL = 600;

for (const adapter of ADAPTERS) {
  describe(`a renewing lock on a bare quorum of 3 nodes via ${adapter}`, { timeout: 30_000 }, () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster(adapter, 3);
    });
    after(() => cluster.close());

    test('its validity keeps advancing for 5 ttls after its key is deleted on one node', async () => {
      // A roomier per-node timeout than the default 15 ms: a busy CI machine must not fail a round.
      const rs = new Redsync(cluster.nodes, { ttl: TTL, timeoutFactor: 0.25 });
      const lock = await rs.mutex(uniqueName()).acquire({ autoExtend: true });
      await heldEverywhere(cluster, lock.key, lock.value);
      await nth(cluster.admin, 2).del(lock.key);
      const from = lock.validUntil;
      await until(() => lock.validUntil > from + 5 * TTL || lock.signal.aborted, 'five ttls of renewals');
      assert.equal(lock.signal.aborted, false, `not lost: ${String(lock.signal.reason)}`);
      assert.ok(lock.validUntil > from + 5 * TTL);
      const values = await valuesOf(cluster, lock.key);
      assert.deepEqual([values[0], values[1], values[2]], [lock.value, lock.value, null], 'held on the other two, and never re-created on the third');
      assert.equal(await lock.release(), true);
    });
  });
}
