/**
 * The cache's store among 3 lock nodes (ioredis): the fill lock's attempt reads the entry on the
 * store node and only there, and a filler whose write the store fails lets waiters elsewhere take
 * over without waiting out its lock. The store's commands are seen through `wrapNode`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redsync } from '../../src/index.js';
import { cacheAttempt, cacheFill, cacheRead } from '../../src/scripts/index.js';
import { nth, startCluster, uniqueName, until, type TestCluster } from '../support/cluster.js';
import { fillBeside } from '../support/gate.js';
import { wrapNode } from '../support/wrap-node.js';

describe('the cache store among 3 lock nodes (ioredis)', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster('ioredis', 3);
  });
  after(() => cluster.close());

  test('a store that is not the first lock node: the fill lock reads the entry on it, and only there', async () => {
    const sent: string[] = [];
    const nodes = cluster.nodes.map((node, i) =>
      wrapNode(node, {
        setNX: (key, value, ttl) => (sent.push(`${String(i)} SET NX`), node.setNX(key, value, ttl)),
        evalsha: (sha, keys, args) => (sent.push(`${String(i)} ${sha === cacheAttempt.sha1 ? 'attempt' : sha === cacheRead.sha1 ? 'read' : 'other'}`), node.evalsha(sha, keys, args)),
      }),
    );
    const rs = new Redsync(nodes);
    const cache = rs.cache<string>({ ttl: 60_000, store: nth(nodes, 2) });
    const key = uniqueName('third');
    assert.equal(await cache.get(key, () => 'loaded'), 'loaded');
    const attempt = sent.filter((line) => !line.endsWith('other')).sort();
    assert.deepEqual(attempt, ['0 SET NX', '1 SET NX', '2 attempt']);
    assert.equal(await cache.get(key, () => 'not again'), 'loaded');
    await rs.close();
  });

  test("a filler whose write the store fails tells waiters elsewhere to look again: one takes over, before the lock's ttl", { timeout: 20_000 }, async () => {
    const key = uniqueName('write-failed');
    // The filler's store refuses its fill script once, as a store that failed the write would.
    let failed = false;
    const nodes = cluster.nodes.map((node, i) =>
      wrapNode(node, {
        evalsha: (sha, keys, args) => (i === 0 && sha === cacheFill.sha1 && !failed ? ((failed = true), Promise.reject(new Error('connection reset'))) : node.evalsha(sha, keys, args)),
      }),
    );
    const rs = new Redsync(nodes);
    const elsewhere = new Redsync(await cluster.connect());
    // A fill lock of a minute: waiting it out would fail the test by its timeout.
    const filler = rs.cache<string>({ ttl: 60_000, lock: { ttl: 60_000 } });
    const waiter = elsewhere.cache<string>({ ttl: 60_000, lock: { ttl: 60_000 } });
    const listening = (): Promise<void> => until(async () => Number((await nth(cluster.admin, 0).pubsub('NUMSUB', `cache:${key}:filled`))[1]) > 0, 'the waiter to listen');
    const values = await fillBeside(filler, { get: (k) => waiter.get(k, () => 'loaded by the waiter') }, key, 'loaded by the filler', listening);
    assert.deepEqual(values, ['loaded by the filler', 'loaded by the waiter']);
    assert.equal(filler.stats().storeErrors, 1);
    assert.equal(waiter.stats().fills, 1);
    await Promise.all([rs.close(), elsewhere.close()]);
  });
});
