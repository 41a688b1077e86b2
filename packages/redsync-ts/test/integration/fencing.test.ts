import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Redsync, fencedSet } from '../../src/index.js';
import { fenceKeyOf } from '../../src/keys.js';
import { ADAPTERS, nth, startCluster, uniqueName, waitUntilReachable, type TestCluster } from '../support/cluster.js';

for (const adapter of ADAPTERS) {
  for (const n of [1, 3, 5]) {
    describe(`fencing tokens on ${n} node(s) via ${adapter}`, () => {
      let cluster: TestCluster;
      before(async () => {
        cluster = await startCluster(adapter, n);
      });
      after(() => cluster.close());
      afterEach(() => cluster.heal());

      test('fences strictly increase across holders, contended or not', async () => {
        const rs = new Redsync(cluster.nodes, { fencing: true, retryDelay: () => 1 + Math.random() * 3, tries: 10_000 });
        const name = uniqueName();
        const grants: number[] = [];
        await Promise.all(
          Array.from({ length: 6 }, async () => {
            for (let i = 0; i < 4; i++) {
              const lock = await rs.mutex(name).acquire();
              assert.ok(lock.fence !== undefined);
              grants.push(lock.fence);
              await lock.release();
            }
          }),
        );
        for (let i = 1; i < grants.length; i++) assert.ok((grants[i] ?? 0) > (grants[i - 1] ?? 0), `grant ${String(i)}: ${grants.join(',')}`);
        assert.equal(await cluster.admin[0]?.pttl(fenceKeyOf(name)), -1, 'the counter never expires');
      });

      if (n > 1) {
        test('fences keep increasing while a minority is down and after it comes back empty', async () => {
          const rs = new Redsync(cluster.nodes, { fencing: true, tries: 50, retryDelay: 5 });
          const name = uniqueName();
          const grants: number[] = [];
          const take = async (): Promise<void> => {
            const lock = await rs.mutex(name).acquire();
            grants.push(lock.fence ?? -1);
            await lock.release();
          };
          await take();
          await take();
          const minority = Math.floor((n - 1) / 2);
          for (let i = 0; i < minority; i++) await nth(cluster.servers, i).kill();
          await take();
          await take();
          for (let i = 0; i < minority; i++) await nth(cluster.servers, i).restart();
          await waitUntilReachable(cluster.nodes);
          await take();
          await take();
          for (let i = 1; i < grants.length; i++) assert.ok((grants[i] ?? 0) > (grants[i - 1] ?? 0), grants.join(','));
        });
      }

      test('fencedSet accepts the current holder and rejects a stale one', async () => {
        const rs = new Redsync(cluster.nodes, { fencing: true });
        const name = uniqueName();
        const data = uniqueName('data');
        const node = nth(cluster.nodes, 0);
        const old = await rs.mutex(name).acquire();
        await old.release();
        const current = await rs.mutex(name).acquire();
        assert.equal(await fencedSet(node, data, 'from current', current.fence ?? 0), true);
        assert.equal(await fencedSet(node, data, 'again from current', current.fence ?? 0), true, 'a holder may write repeatedly');
        assert.equal(await fencedSet(node, data, 'from stale', old.fence ?? 0), false);
        assert.equal(await cluster.admin[0]?.get(data), 'again from current');
        await current.release();
        await assert.rejects(fencedSet(node, data, 'x', 0), RangeError);
      });
    });
  }
}
