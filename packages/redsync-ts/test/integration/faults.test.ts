import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { LockNotAcquiredError, LockTakenError, Redsync } from '../../src/index.js';
import { ALL_SCRIPTS } from '../../src/scripts/index.js';
import { ADAPTERS, nth, startCluster, uniqueName, until, valuesOf, waitUntilReachable, type TestCluster } from '../support/cluster.js';

for (const adapter of ADAPTERS) {
  describe(`faults on 5 nodes via ${adapter}`, () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster(adapter, 5);
    });
    after(() => cluster.close());
    // Bring every node back, empty, so each test starts from healthy servers.
    afterEach(() => cluster.heal());

    test('each SHA1 equals what SCRIPT LOAD returns', async () => {
      for (const script of ALL_SCRIPTS) {
        assert.equal(await nth(cluster.admin, 0).script('LOAD', script.source), script.sha1, script.name);
      }
    });

    test('a killed minority: the lock is still acquired and released on the rest', async () => {
      await Promise.all([nth(cluster.servers, 1).kill(), nth(cluster.servers, 3).kill()]);
      const rs = new Redsync(cluster.nodes);
      const name = uniqueName();
      const lock = await rs.mutex(name).acquire();
      const values = await Promise.all([0, 2, 4].map((i) => nth(cluster.admin, i).get(name)));
      assert.deepEqual(values, [lock.value, lock.value, lock.value]);
      assert.equal(await lock.release(), true);
    });

    test('a paused minority: acquire completes within the per-node timeout instead of hanging', async () => {
      nth(cluster.servers, 0).pause();
      nth(cluster.servers, 4).pause();
      const rs = new Redsync(cluster.nodes, { ttl: 2_000 });
      const name = uniqueName();
      const lock = await rs.mutex(name).acquire();
      assert.ok(lock.remaining() > 0);
      assert.equal(await lock.release(), true);
    });

    test('failFast: with a paused minority the round settles on the quorum', async () => {
      nth(cluster.servers, 2).pause();
      const rs = new Redsync(cluster.nodes, { ttl: 60_000, failFast: true });
      const lock = await rs.mutex(uniqueName()).acquire();
      assert.ok(lock.remaining() > 0);
      assert.equal(await lock.release(), true);
    });

    test('a killed majority: LockNotAcquiredError (not LockTakenError) with a NodeError per dead node', async () => {
      await Promise.all([0, 1, 2].map((i) => nth(cluster.servers, i).kill()));
      const rs = new Redsync(cluster.nodes, { tries: 2, retryDelay: 0 });
      const name = uniqueName();
      const error = await rs.mutex(name).acquire().catch((e: unknown) => e);
      assert.ok(error instanceof LockNotAcquiredError);
      assert.ok(!(error instanceof LockTakenError));
      assert.deepEqual(error.outcomes.filter((o) => o.verdict === 'error').map((o) => o.node), [0, 1, 2]);
      assert.deepEqual(error.outcomes.filter((o) => o.verdict === 'ok').map((o) => o.node), [3, 4]);
      const survivors = await Promise.all([3, 4].map((i) => nth(cluster.admin, i).get(name)));
      assert.deepEqual(survivors, [null, null], 'the clean-up removed our value from the survivors');
      await assert.rejects(rs.mutex(name).tryAcquire(), LockNotAcquiredError);
    });

    test('release with a majority down rejects with a LockReleaseError carrying the causes', async () => {
      const rs = new Redsync(cluster.nodes, { ttl: 2_000 });
      const lock = await rs.mutex(uniqueName()).acquire();
      await Promise.all([1, 2, 3].map((i) => nth(cluster.servers, i).kill()));
      const error = await lock.release().catch((e: unknown) => e);
      assert.ok(error instanceof Error && 'code' in error && error.code === 'LOCK_RELEASE_FAILED');
      assert.ok(error.cause instanceof AggregateError && error.cause.errors.length === 3);
      for (const i of [1, 2, 3]) await nth(cluster.servers, i).restart();
      await waitUntilReachable(cluster.nodes);
      // The restarted nodes came back empty: on a quorum the key is gone, so the retry says false.
      assert.equal(await lock.release(), false);
    });

    test('abort during the retry delay rejects with the reason, and leaves no key of ours', async () => {
      const name = uniqueName();
      await Promise.all([0, 1, 2].map((i) => nth(cluster.admin, i).set(name, 'other', 'PX', 60_000)));
      const controller = new AbortController();
      const ours = 'abort-test-value';
      const rs = new Redsync(cluster.nodes, {
        genValue: () => ours,
        retryDelay: () => {
          setImmediate(() => controller.abort(new Error('caller gave up')));
          return 600_000;
        },
      });
      await assert.rejects(rs.mutex(name).acquire({ signal: controller.signal }), /caller gave up/);
      assert.deepEqual(await valuesOf(cluster, name), ['other', 'other', 'other', null, null]);
    });

    test('setNXOnExtend re-creates the key on a node that restarted empty; the default does not', async () => {
      const rs = new Redsync(cluster.nodes);
      const plain = await rs.mutex(uniqueName()).acquire();
      const healing = await rs.mutex(uniqueName(), { setNXOnExtend: true }).acquire();
      await nth(cluster.servers, 0).restart();
      await waitUntilReachable(cluster.nodes);
      await plain.extend();
      await healing.extend();
      // extend() returns at a quorum; the restarted node may answer a moment later.
      await until(async () => (await nth(cluster.admin, 0).get(healing.key)) === healing.value, 'the key re-created on node 0');
      assert.equal(await nth(cluster.admin, 0).get(plain.key), null);
      await Promise.all([plain.release(), healing.release()]);
    });
  });
}
