import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { LockTakenError, RedisConfigError, Redsync, fromIoredis, type RedisNode } from '../../src/index.js';
import { startRedisServers, stopRedisServers, type RedisServer } from '../../src/testing/index.js';
import { ADAPTERS, openNode, until, serverOptionsFor, lacks } from '../support/cluster.js';

/** The minimal ACL documented in the README: the commands the library runs, on its key patterns. */
const MINIMAL = ['on', '>secret', 'resetkeys', '~rl:*', '~{rl:*', 'resetchannels', '&rl:*', '-@all', '+set', '+get', '+pttl', '+pexpire', '+del', '+incr', '+publish', '+subscribe', '+unsubscribe', '+eval', '+evalsha', '+ping', '+hello', '+client|setname'];

test('a wrong password (ioredis, default options) is a RedisConfigError at once, with no retry loop', { timeout: 20_000 }, async () => {
  const [server] = await startRedisServers(1);
  const admin = new Redis({ path: server?.socket ?? '' });
  const client = new Redis({ path: server?.socket ?? '', username: 'locker', password: 'wrong', maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await admin.call('ACL', 'SETUSER', 'locker', 'on', '>secret', '~*', '+@all');
    // A minute between attempts: a retry loop would run into the test's timeout.
    const error = await new Redsync([fromIoredis(client)], { tries: 32, retryDelay: 60_000 }).mutex('rl:wrong-password').acquire().catch((e: unknown) => e);
    assert.ok(error instanceof RedisConfigError, String(error));
    assert.match(String(error.outcomes[0]?.error?.cause), /WRONGPASS/);
  } finally {
    client.disconnect();
    admin.disconnect();
    await stopRedisServers(server === undefined ? [] : [server]);
  }
});

for (const adapter of ADAPTERS) {
  describe(`a restricted ACL user via ${adapter}`, { skip: lacks(adapter, 'connect without INFO') }, () => {
    let servers: RedisServer[];
    let admin: Redis[];
    let nodes: RedisNode[];
    const closers: (() => Promise<unknown>)[] = [];
    const setAcl = (...rules: string[]): Promise<unknown> => Promise.all(admin.map((a) => a.call('ACL', 'SETUSER', 'locker', 'reset', ...MINIMAL, ...rules)));
    const rejectedSets = async (): Promise<number[]> =>
      Promise.all(admin.map(async (a) => Number(/cmdstat_set:.*rejected_calls=(\d+)/.exec(await a.info('commandstats'))?.[1] ?? 0)));

    before(async () => {
      servers = await startRedisServers(3, serverOptionsFor(adapter));
      admin = servers.map((s) => new Redis({ path: s.socket }));
      await setAcl();
      nodes = await Promise.all(servers.map((s) => openNode(adapter, s, closers, { username: 'locker', password: 'secret' })));
    });
    after(async () => {
      await Promise.allSettled(closers.map((close) => close()));
      for (const a of admin) a.disconnect();
      await stopRedisServers(servers);
    });

    test('the minimal ACL is enough: acquire, extend, release, fencing, renewal', async () => {
      await setAcl();
      // A 1 s ttl: its per-node timeout (50 ms) survives a loaded CI machine, 300 ms's (15 ms) did not.
      const rs = new Redsync(nodes, { ttl: 1000 });
      const lock = await rs.mutex('rl:minimal').acquire({ autoExtend: true });
      const first = lock.validUntil;
      await lock.extend();
      for (let i = 0; i < 400 && lock.validUntil <= first + 1000; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(lock.validUntil > first + 1000, 'renewed past its ttl');
      assert.equal(await lock.release(), true);
      const fenced = await rs.mutex('rl:fenced', { fencing: true }).acquire();
      assert.ok((fenced.fence ?? 0) >= 1);
      assert.equal(await fenced.release(), true);
    });

    test('with its channel permissions a waiter is woken by the release; without them releases still work', async () => {
      await setAcl();
      const rs = new Redsync(nodes, { ttl: 60_000, retryDelay: 60_000, tries: 5 });
      const held = await rs.mutex('rl:wake').acquire();
      const waiting = rs.mutex('rl:wake').acquire();
      await until(async () => {
        const counts = await Promise.all(admin.map(async (a) => Number((await a.pubsub('NUMSUB', 'rl:wake:released'))[1])));
        return counts.every((count) => count > 0);
      }, 'the waiter subscribed as the restricted user');
      await held.release();
      assert.equal(await (await waiting).release(), true, 'woken long before its minute of retry delay');
      await rs.close();
      await setAcl('-publish'); // PUBLISH refused inside the release script: redis.pcall absorbs it
      const polling = new Redsync(nodes, { retryDelay: 20, tries: 500 });
      const first = await polling.mutex('rl:no-publish').acquire();
      const second = polling.mutex('rl:no-publish').acquire();
      assert.equal(await first.release(), true);
      assert.equal(await (await second).release(), true);
      await polling.close();
      await setAcl();
    });

    test('without the companion key pattern, contention and release still work: waiters fall back to their timers', async () => {
      await Promise.all(admin.map((a) => a.call('ACL', 'SETUSER', 'locker', 'reset', ...MINIMAL.filter((rule) => rule !== '~{rl:*'))));
      const rs = new Redsync(nodes, { retryDelay: 20, tries: 500 });
      const first = await rs.mutex('rl:no-flag').acquire();
      assert.equal(await rs.mutex('rl:no-flag').tryAcquire(), null, 'the waiting flag refused inside the script, the attempt still answered');
      const second = rs.mutex('rl:no-flag').acquire();
      assert.equal(await first.release(), true, 'the DEL of key and flag refused, the key alone deleted');
      assert.equal(await (await second).release(), true);
      await rs.close();
      await setAcl();
    });

    test('a missing command is a RedisConfigError at once: no retry loop, never "taken"', async () => {
      await setAcl('-set');
      await Promise.all(admin.map((a) => a.config('RESETSTAT')));
      const error = await new Redsync(nodes, { tries: 32, retryDelay: 1000 }).mutex('rl:no-set').acquire().catch((e: unknown) => e);
      assert.ok(error instanceof RedisConfigError && !(error instanceof LockTakenError), String(error));
      assert.equal(error.code, 'REDIS_CONFIG');
      assert.deepEqual(await rejectedSets(), [1, 1, 1], 'one attempt, not 32');
      await assert.rejects(new Redsync(nodes).mutex('rl:no-set').tryAcquire(), RedisConfigError);
      await setAcl();
    });

    test('a key outside the allowed pattern is a RedisConfigError', async () => {
      await assert.rejects(new Redsync(nodes).mutex('elsewhere:x').acquire(), RedisConfigError);
    });

    test('a release the ACL forbids is a RedisConfigError, not false', async () => {
      await setAcl();
      const lock = await new Redsync(nodes).mutex('rl:no-evalsha').acquire();
      await setAcl('-evalsha', '-eval');
      await assert.rejects(lock.release(), RedisConfigError);
      await setAcl();
      assert.equal(await lock.release(), true);
    });
  });
}
