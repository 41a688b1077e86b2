/**
 * Mutual exclusion with handoffs going on: two Redsync instances (two "processes") of 5 callers
 * each take one lock in turns, doing a read-modify-write on a counter under it. Locks change hands
 * by passing on in memory, by transfer, by release and notification; at no moment may two callers
 * hold the lock, and no increment may be lost. Per client library, on 1 and 3 nodes; bounded by
 * the number of holds, not by time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redsync, type RedisNode } from '../../src/index.js';
import { lockRelease, lockTransfer } from '../../src/scripts/index.js';
import { ADAPTERS, heldEverywhere, startCluster, uniqueName, type TestCluster, lacks } from '../support/cluster.js';

const CALLERS = 5;
const HOLDS_EACH = 8;

/** Counts the real releases and the transfers sent, per node round. */
function counting(nodes: readonly RedisNode[], sent: { releases: number; transfers: number }): RedisNode[] {
  return nodes.map((node) => ({
    ...node,
    evalsha: (sha: string, keys: readonly string[], args: readonly string[]) => {
      if (sha === lockRelease.sha1) sent.releases += 1 / nodes.length;
      if (sha === lockTransfer.sha1) sent.transfers += 1 / nodes.length;
      return node.evalsha(sha, keys, args);
    },
  }));
}

for (const adapter of ADAPTERS) {
  for (const n of [1, 3]) {
    describe(`exclusion under handoffs on ${n} node(s) via ${adapter}`, { timeout: 60_000, skip: lacks(adapter, 'feed') }, () => {
      let cluster: TestCluster;
      before(async () => {
        cluster = await startCluster(adapter, n);
      });
      after(async () => {
        await cluster.close();
      });

      test('two processes of 5 callers: never two holders, no lost update, and locks passed on within a process', async () => {
        const name = uniqueName();
        const counter = `${name}:counter`;
        const sent = { releases: 0, transfers: 0 };
        const sides = [new Redsync(counting(cluster.nodes, sent), { ttl: 30_000 }), new Redsync(counting(await cluster.connect(), sent), { ttl: 30_000 })];
        const [admin] = cluster.admin;
        if (admin === undefined) throw new Error('no admin connection');
        let holders = 0;
        let maxHolders = 0;
        try {
          await Promise.all(
            sides.flatMap((rs) =>
              Array.from({ length: CALLERS }, async () => {
                const mutex = rs.mutex(name);
                for (let i = 0; i < HOLDS_EACH; i++) {
                  const lock = await mutex.acquire();
                  holders += 1;
                  maxHolders = Math.max(maxHolders, holders);
                  // Read, then write after a round trip: an overlapping holder would lose an update.
                  const read = Number(await admin.get(counter));
                  await admin.set(counter, String(read + 1));
                  holders -= 1;
                  await lock.release();
                }
              }),
            ),
          );
          const holds = sides.length * CALLERS * HOLDS_EACH;
          assert.equal(maxHolders, 1, 'never two holders at once');
          assert.equal(Number(await admin.get(counter)), holds, 'no increment lost');
          assert.equal(sent.transfers, 0, 'young locks nobody read are never transferred');
          assert.ok(sent.releases < holds, `some holds ended by passing the lock on: ${String(sent.releases)} real releases for ${String(holds)} holds`);
          await heldEverywhere(cluster, name, null); // a release settles at its quorum: the rest follow (nothing left behind)
        } finally {
          await Promise.all(sides.map((rs) => rs.close()));
        }
      });
    });
  }
}
