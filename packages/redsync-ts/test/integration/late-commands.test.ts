/**
 * No command of a lock lands after that lock's release: a straggler node of a round that settled
 * at its quorum may answer late (NOSCRIPT, a failed SET NX), and what the library sends then must
 * not bring a released key back. A node is paused across the operation and the release, so its
 * replies arrive only once both have returned; wrapped nodes record what is sent afterwards.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Redsync, type RedisNode } from '../../src/index.js';
import { lockExtendOrSet, lockReclaim, lockRelease } from '../../src/scripts/index.js';
import { ADAPTERS, nth, startCluster, uniqueName, until, valuesOf, type TestCluster } from '../support/cluster.js';

/** Node 3 of 3, wrapped: every command it is sent, and a promise per command for its answer. */
function recording(nodes: readonly RedisNode[]) {
  const sent: { command: string; done: Promise<unknown> }[] = [];
  const record = (command: string, done: Promise<unknown>): Promise<unknown> => {
    sent.push({ command, done: done.catch(() => undefined) });
    return done;
  };
  const last = nth(nodes, 2);
  const wrapped: RedisNode = {
    ...last,
    setNX: (key, value, ttl) => record('SET NX', last.setNX(key, value, ttl)),
    evalsha: (sha, keys, args) => record(`EVALSHA ${sha}`, last.evalsha(sha, keys, args)),
    eval: (source, keys, args) => record(`EVAL ${source}`, last.eval(source, keys, args)),
  };
  /** Resolves once every command sent so far, and any it led to, has been answered. */
  const settled = async (): Promise<void> => {
    for (let seen = -1; seen !== sent.length; ) {
      seen = sent.length;
      await Promise.all(sent.map((s) => s.done));
      await new Promise((resolve) => setImmediate(resolve)); // a reply's reaction may send more
    }
  };
  return { nodes: [nth(nodes, 0), nth(nodes, 1), wrapped], sent, settled };
}

for (const adapter of ADAPTERS) {
  describe(`late commands of a straggler node via ${adapter}`, { timeout: 30_000 }, () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster(adapter, 3);
    });
    after(() => cluster.close());
    afterEach(() => cluster.heal());

    test('setNXOnExtend: a late EVAL after NOSCRIPT never re-creates a released key', async () => {
      const name = uniqueName();
      const third = nth(cluster.servers, 2);
      const probe = recording(cluster.nodes);
      const rs = new Redsync(probe.nodes, { ttl: 10_000, setNXOnExtend: true, timeoutFactor: 0.01 });
      const lock = await rs.mutex(name).acquire();
      await until(async () => (await valuesOf(cluster, name)).every((v) => v === lock.value), 'held on every node');
      // Node 3 has the release script but not the extend script: its release runs at once and
      // its extend falls back to EVAL only when the NOSCRIPT comes back, after the release.
      const admin = nth(cluster.admin, 2);
      await admin.script('FLUSH');
      await admin.script('LOAD', lockRelease.source);
      third.pause();
      try {
        assert.ok((await lock.extend()) > 0, 'extended on the quorum of nodes 1 and 2');
        assert.equal(await lock.release(), true);
      } finally {
        third.resume();
      }
      await probe.settled();
      const evals = probe.sent.filter((s) => s.command.startsWith('EVAL '));
      assert.ok(evals.length > 0, 'the straggler did fall back to EVAL');
      assert.ok(!evals.some((s) => s.command === `EVAL ${lockExtendOrSet.source}`), 'no extend-or-set was sent late');
      assert.deepEqual(await valuesOf(cluster, name), [null, null, null], 'the released key stays released on every node');
      await rs.close();
    });

    test('a straggler whose SET NX failed after its round settled sends no reclaim', async () => {
      const name = uniqueName();
      const third = nth(cluster.servers, 2);
      // Another holder's key on node 3 only: its SET NX will fail when it is finally answered.
      await nth(cluster.admin, 2).set(name, 'other', 'PX', 60_000);
      const probe = recording(cluster.nodes);
      const rs = new Redsync(probe.nodes, { ttl: 10_000, timeoutFactor: 0.01 });
      third.pause();
      try {
        const lock = await rs.mutex(name).acquire();
        assert.equal(await lock.release(), true);
      } finally {
        third.resume();
      }
      await probe.settled();
      assert.deepEqual(
        probe.sent.filter((s) => s.command.includes(lockReclaim.sha1) || s.command.includes(lockReclaim.source)).length,
        0,
        'no reclaim script after the round settled: it could set the key after the release',
      );
      assert.deepEqual(await valuesOf(cluster, name), [null, null, 'other']);
      await rs.close();
    });
  });
}
