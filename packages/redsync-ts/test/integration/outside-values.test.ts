/**
 * A value known outside the library is never passed on to a waiter as it is. The scenario: an
 * outside owner (another process, a go-redsync service) holds `key = V`; this process adopts `V`,
 * extends it, and releases it while a waiter of its own queues for the key. Had the lock been
 * passed on under `V`, the outside owner's compare-and-delete with `V` (go-redsync's release)
 * would free a key the waiter believes it holds, and a third party's SET NX would get in: two
 * holders. Per client library, on 1 and 3 nodes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redsync, type Lock } from '../../src/index.js';
import { runScript } from '../../src/script.js';
import { lockRelease } from '../../src/scripts/index.js';
import { ADAPTERS, heldEverywhere, startCluster, uniqueName, until, type TestCluster, lacks } from '../support/cluster.js';
import { MINUTE, SLOW, counting, subscribed, type CommandProbe } from '../support/handoff-probe.js';

for (const adapter of ADAPTERS) {
  for (const n of [1, 3]) {
    describe(`values known outside the library on ${n} node(s) via ${adapter}`, { timeout: 30_000, skip: lacks(adapter, 'feed') }, () => {
      let cluster: TestCluster;
      before(async () => {
        cluster = await startCluster(adapter, n);
      });
      after(async () => {
        await cluster.close();
      });

      /** The outside owner's release, as go-redsync sends it: compare-and-delete with its value. */
      async function outsideRelease(name: string, value: string): Promise<string[]> {
        return Promise.all(cluster.nodes.map((node) => runScript(node, lockRelease, [name], [value])));
      }

      /** A waiter of this process queued for `name` behind `holder`, and what happens on release. */
      async function releaseToWaiter(rs: Redsync, probe: CommandProbe, name: string, holder: Lock): Promise<Lock> {
        const waiting = rs.mutex(name).acquire();
        await subscribed(cluster, name);
        // Its first attempt, and one more when the subscription was confirmed: then it sleeps.
        await until(() => probe.attempts() === 2, 'the waiter asleep in its line');
        assert.equal(await holder.release(), true);
        return waiting;
      }

      test('an adopted lock is transferred to the waiter\'s own value: the outside owner\'s release frees nothing', async () => {
        const name = uniqueName();
        const outsideValue = 'outside-owner-value';
        await Promise.all(cluster.admin.map((admin) => admin.set(name, outsideValue, 'PX', MINUTE, 'NX')));
        const probe = counting(cluster.nodes);
        const rs = new Redsync(probe.nodes, SLOW);
        try {
          const adopted = rs.mutex(name).adopt(outsideValue);
          assert.ok((await adopted.extend()) > 0);
          const lock = await releaseToWaiter(rs, probe, name, adopted);
          assert.equal(probe.transfers(), 1, 'handed over through Redis, under a new value');
          assert.equal(lock.signal.aborted, false);
          await heldEverywhere(cluster, name, lock.value);
          assert.notEqual(lock.value, outsideValue);
          const verdicts = await outsideRelease(name, outsideValue);
          assert.ok(verdicts.every((v) => v !== 'ok'), `the outside owner's compare-and-delete must not delete: ${verdicts.join(', ')}`);
          const thirdParty = await Promise.all(cluster.admin.map((admin) => admin.set(name, 'third-party', 'PX', MINUTE, 'NX')));
          assert.deepEqual(thirdParty, Array<null>(n).fill(null), 'a third party cannot get in while the waiter holds the lock');
          assert.equal(await lock.release(), true);
        } finally {
          await rs.close();
        }
      });

      test('a lock whose value a custom genValue made is transferred, never passed on', async () => {
        const name = uniqueName();
        const made: string[] = [];
        const genValue = (): string => {
          const value = `mine-${String(made.length)}-${String(Math.random()).slice(2)}`;
          made.push(value); // the application keeps a copy: the value lives outside the library
          return value;
        };
        const probe = counting(cluster.nodes);
        const rs = new Redsync(probe.nodes, { ...SLOW, genValue });
        try {
          const held = await rs.mutex(name).acquire();
          const lock = await releaseToWaiter(rs, probe, name, held);
          assert.equal(probe.transfers(), 1);
          assert.equal(lock.value, made[1], 'the waiter holds its own value');
          const verdicts = await outsideRelease(name, made[0] as string);
          assert.ok(verdicts.every((v) => v !== 'ok'), 'the first value frees nothing any more');
          await heldEverywhere(cluster, name, lock.value);
          assert.equal(await lock.release(), true);
        } finally {
          await rs.close();
        }
      });
    });
  }
}
