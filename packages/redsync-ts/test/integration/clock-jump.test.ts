/**
 * Wall-clock jumps on Redis servers, with libfaketime (Redlock's stated assumption is that server
 * clocks do not jump). A forward jump on a minority is harmless to a holder on every node; on a
 * majority it lets a second holder in while the first still holds: the known-unsafe case the docs
 * warn about. (A holder on a bare quorum is exposed to one node: see the torture run.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redsync } from '../../src/index.js';
import { RedisServer } from '../../src/testing/index.js';
import { nth, startCluster, uniqueName, until, type TestCluster } from '../support/cluster.js';

const skip = RedisServer.canFakeClock() ? false : 'libfaketime/tcmalloc not installed (apt-get install -y faketime libtcmalloc-minimal4)';

describe('clock jumps on the Redis servers (libfaketime)', { skip }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster('ioredis', 5, { fakeClock: true });
  });
  after(async () => {
    for (const server of cluster.servers) server.jumpClock(0);
    await cluster.close();
  });

  const expiredOn = async (key: string, nodes: number[]): Promise<boolean> =>
    (await Promise.all(nodes.map((i) => nth(cluster.admin, i).pttl(key)))).every((ttl) => ttl === -2);

  test('a forward jump on a minority expires the key there, and the lock holds', async () => {
    const rs = new Redsync(cluster.nodes, { ttl: 30_000 });
    const name = uniqueName('jump-minority');
    const first = await rs.mutex(name).acquire();
    for (const i of [0, 1]) nth(cluster.servers, i).jumpClock(60);
    await until(() => expiredOn(name, [0, 1]), 'the key to expire on the jumped nodes');
    assert.equal(await rs.mutex(name).tryAcquire(), null, 'the majority still holds it');
    for (const i of [0, 1]) nth(cluster.servers, i).jumpClock(0);
    assert.equal(await first.release(), true);
  });

  test('a forward jump on a majority lets a second holder in while the first still believes it holds (unsafe)', async () => {
    const rs = new Redsync(cluster.nodes, { ttl: 30_000 });
    const name = uniqueName('jump-majority');
    const first = await rs.mutex(name).acquire();
    for (const i of [0, 1, 2]) nth(cluster.servers, i).jumpClock(60);
    await until(() => expiredOn(name, [0, 1, 2]), 'the key to expire on the jumped nodes');
    const second = await rs.mutex(name).tryAcquire();
    assert.ok(second !== null, 'the second acquisition succeeds');
    assert.ok(first.remaining() > 0, 'while the first lock is still valid by its own clock: two holders');
    for (const i of [0, 1, 2]) nth(cluster.servers, i).jumpClock(0);
    await second.release();
  });
});
