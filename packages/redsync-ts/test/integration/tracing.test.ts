/**
 * Tracing channels: subscribers see acquire, try-acquire, extend, release, lost locks and cache
 * gets and fills, with names, counts and outcomes, never a lock's value.
 */
import assert from 'node:assert/strict';
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, test } from 'node:test';
import { Redsync, TRACE_CHANNELS } from '../../src/index.js';
import { startCluster, uniqueName, until, type TestCluster } from '../support/cluster.js';

type Seen = { channel: string; event: string; context: Record<string, unknown> }[];

/** Records every event of every channel into `seen` until the returned function is called. */
function record(seen: Seen): () => void {
  const stops: (() => void)[] = [];
  for (const [key, name] of Object.entries(TRACE_CHANNELS)) {
    if (key === 'lockLost' || key === 'renewal') {
      const listener = (message: unknown): void => void seen.push({ channel: name, event: 'publish', context: message as Record<string, unknown> });
      subscribe(name, listener);
      stops.push(() => unsubscribe(name, listener));
      continue;
    }
    const handlers = Object.fromEntries(['start', 'end', 'asyncStart', 'asyncEnd', 'error'].map((event) => [event, (context: unknown) => void seen.push({ channel: name, event, context: { ...(context as object) } })]));
    tracingChannel(name).subscribe(handlers as never);
    stops.push(() => tracingChannel(name).unsubscribe(handlers as never));
  }
  return () => {
    for (const stop of stops) stop();
  };
}

describe('tracing channels', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster('ioredis', 3);
  });
  after(() => cluster.close());

  test('lock operations publish start and asyncEnd with name, node count and outcome, never the value', async () => {
    const seen: Seen = [];
    const stop = record(seen);
    const rs = new Redsync(cluster.nodes, { fencing: true });
    const name = uniqueName();
    try {
      const lock = await rs.mutex(name).acquire();
      assert.equal(await rs.mutex(name).tryAcquire(), null);
      await lock.extend();
      await lock.release();
      const ends = seen.filter((s) => s.event === 'asyncEnd').map((s) => [s.channel, s.context['name'], s.context['nodes'], JSON.stringify(s.context['result'])]);
      assert.deepEqual(ends.map(([c]) => c), [TRACE_CHANNELS.acquire, TRACE_CHANNELS.tryAcquire, TRACE_CHANNELS.extend, TRACE_CHANNELS.release]);
      assert.ok(ends.every(([, n, nodes]) => n === name && nodes === 3));
      assert.match(String(ends[0]?.[3]), /"acquired":true,"fence":\d+/);
      assert.equal(ends[1]?.[3], '{"acquired":false}');
      assert.equal(ends[3]?.[3], '{"released":true}');
      assert.ok(seen.every((s) => !JSON.stringify(s.context).includes(lock.value)), 'no event carries the value');
    } finally {
      stop();
      await rs.close();
    }
  });

  test('renewal rounds and a lost lock are published; a failed acquire publishes error', async () => {
    const seen: Seen = [];
    const stop = record(seen);
    const rs = new Redsync(cluster.nodes, { ttl: 300 });
    const name = uniqueName();
    try {
      const lock = await rs.mutex(name).acquire({ autoExtend: true });
      await until(() => seen.some((s) => s.channel === TRACE_CHANNELS.renewal && s.context['confirmed'] === 1), 'a renewal');
      await Promise.all(cluster.admin.map((a) => a.del(name)));
      await until(() => seen.some((s) => s.channel === TRACE_CHANNELS.lockLost), 'the loss');
      assert.ok(seen.some((s) => s.channel === TRACE_CHANNELS.renewal && s.context['lost'] === 1), 'the renewal that found it gone');
      assert.equal(seen.find((s) => s.channel === TRACE_CHANNELS.lockLost)?.context['reason'], 'renewal-failed');
      await lock.release();
      const other = await rs.mutex(name).acquire();
      await assert.rejects(rs.mutex(name, { tries: 1 }).acquire());
      assert.ok(seen.some((s) => s.channel === TRACE_CHANNELS.acquire && s.event === 'error'));
      await other.release();
    } finally {
      stop();
      await rs.close();
    }
  });

  test('cache gets say hit or miss, and fills what they did', async () => {
    const seen: Seen = [];
    const stop = record(seen);
    const rs = new Redsync(cluster.nodes);
    const cache = rs.cache<number>({ ttl: 60_000 });
    const key = uniqueName('traced');
    try {
      await cache.get(key, () => 1);
      await cache.get(key, () => 2);
      const gets = seen.filter((s) => s.channel === TRACE_CHANNELS.cacheGet && s.event === 'asyncEnd').map((s) => s.context['outcome']);
      assert.deepEqual(gets, ['miss', 'hit']);
      const fills = seen.filter((s) => s.channel === TRACE_CHANNELS.cacheFill && s.event === 'asyncEnd').map((s) => (s.context['result'] as { outcome: string }).outcome);
      assert.deepEqual(fills, ['loaded']);
    } finally {
      stop();
      await rs.close();
    }
  });
});
