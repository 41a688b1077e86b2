/**
 * The eviction check: a real redis-server with a small `maxmemory` and `allkeys-lru`, filled until
 * it evicts. The default warns once per node; `'throw'` refuses before any lock command is sent;
 * an ACL user without INFO still locks. Per client library.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { EvictingNodeError, Redsync, isLockError } from '../../src/index.js';
import { startRedisServers, stopRedisServers, type RedisServer } from '../../src/testing/index.js';
import { ADAPTERS, openNode, uniqueName, serverOptionsFor, lacks } from '../support/cluster.js';

/** Process warnings with `code`, recorded while `work` runs (and until its promise settles). */
async function warningsDuring(code: string, work: () => Promise<unknown>): Promise<Error[]> {
  const seen: Error[] = [];
  const listener = (warning: Error): void => {
    if ((warning as Error & { code?: string }).code === code) seen.push(warning);
  };
  process.on('warning', listener);
  try {
    await work();
    // Warnings are emitted on the next tick: let them arrive.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

/** Writes 10 KB values until the server reports an eviction (bounded). */
async function fillUntilEviction(admin: Redis): Promise<number> {
  const chunk = 'x'.repeat(10_000);
  for (let i = 0; i < 5000; i++) {
    await admin.set(`filler:${String(i)}`, chunk);
    const evicted = Number(/evicted_keys:(\d+)/.exec(await admin.info('stats'))?.[1] ?? 0);
    if (evicted > 0) return evicted;
  }
  throw new Error('the server never evicted');
}

for (const adapter of ADAPTERS) {
  describe(`nodes that can evict lock keys via ${adapter}`, { timeout: 30_000 }, () => {
    let server: RedisServer;
    let admin: Redis;
    const closers: (() => Promise<unknown>)[] = [];
    before(async () => {
      [server] = (await startRedisServers(1, serverOptionsFor(adapter, { config: { maxmemory: '4mb', 'maxmemory-policy': 'allkeys-lru' } }))) as [RedisServer];
      admin = new Redis({ path: server.socket });
      assert.ok((await fillUntilEviction(admin)) > 0);
    });
    after(async () => {
      await Promise.allSettled(closers.map((close) => close()));
      admin.disconnect();
      await stopRedisServers([server]);
    });

    test('by default a warning names the node and policy, once per node per process, and locks still work', async () => {
      const node = await openNode(adapter, server, closers);
      const warnings = await warningsDuring('REDSYNC_EVICTING_NODE', async () => {
        for (const rs of [new Redsync([node]), new Redsync([node])]) {
          for (let i = 0; i < 3; i++) await (await rs.mutex(uniqueName()).acquire()).release();
        }
      });
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]?.message ?? '', /node #0 can evict lock keys \(maxmemory 4194304 bytes, maxmemory-policy allkeys-lru\)/);
    });

    test('with onEvictingNode: throw, acquire and tryAcquire are refused before any SET is sent', async () => {
      const node = await openNode(adapter, server, closers);
      await admin.config('RESETSTAT');
      const rs = new Redsync([node], { onEvictingNode: 'throw' });
      for (const call of [() => rs.mutex(uniqueName()).acquire(), () => rs.mutex(uniqueName()).tryAcquire()]) {
        const error = await call().catch((e: unknown) => e);
        assert.ok(error instanceof EvictingNodeError, String(error));
        assert.ok(isLockError(error, 'EVICTING_NODE'));
        assert.equal(error.node, 0);
        assert.equal(error.policy, 'allkeys-lru');
      }
      const stats = await admin.info('commandstats');
      assert.doesNotMatch(stats, /cmdstat_(set|evalsha|eval):/, 'no lock command reached the node');
    });

    test('onEvictingNode: ignore checks nothing', async () => {
      const node = await openNode(adapter, server, closers);
      await admin.config('RESETSTAT');
      const warnings = await warningsDuring('REDSYNC_EVICTING_NODE', async () => {
        await (await new Redsync([node], { onEvictingNode: 'ignore' }).mutex(uniqueName()).acquire()).release();
      });
      assert.equal(warnings.length, 0);
      assert.doesNotMatch(await admin.info('commandstats'), /cmdstat_info:/);
    });

    test('an ACL user without INFO still locks, and is told once that the check was skipped', { skip: lacks(adapter, 'connect without INFO') }, async () => {
      await admin.call('ACL', 'SETUSER', 'noinfo', 'reset', 'on', '>secret', '~*', '&*', '+@all', '-info');
      const node = await openNode(adapter, server, closers, { username: 'noinfo', password: 'secret' });
      const warnings = await warningsDuring('REDSYNC_EVICTION_UNCHECKED', async () => {
        const rs = new Redsync([node], { onEvictingNode: 'throw' });
        for (let i = 0; i < 2; i++) await (await rs.mutex(uniqueName()).acquire()).release();
      });
      assert.equal(warnings.length, 1);
    });
  });
}
