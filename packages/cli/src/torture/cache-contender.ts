/**
 * One process of the cache torture rows: gets a few hot keys with a short ttl over and over, its
 * loader ignoring its signal (a filler unaware of a pause), and after each get reads the stored
 * entry raw from the store: the entry's stamp (when its fill began, on the store's clock) must
 * never go back, or an older fill replaced a newer entry. In the control, the fill's write is
 * swapped for a blind SET (no stamp check), which must show such regressions.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Redsync, fromIoredis, type RedisNode } from 'redsync-ts';
import { connectUrl } from '../connect.js';
import { runContender, startSignal, tell, type ContenderTask } from './contender-io.js';
import { monotonicMs, type ContenderReport } from './history.js';

interface Task extends ContenderTask {
  /** The control: fills write without the stamp check. */
  readonly blind: boolean;
  /**
   * The entries' ttl: short (many fills), or, in the pause rows, long enough (2.5 ttls) that the
   * entry a late filler would replace is still fresh when it wakes (its pause lasts 2 ttls; fill
   * locks live half a ttl, so another process has long filled again by then).
   */
  readonly cacheTtl: number;
}

const task = JSON.parse(process.argv[2] ?? '{}') as Task;
const KEYS = 3;
/** SHA1 of the cache-fill script (redsync-ts/src/scripts/cache-fill.ts); a stale one makes the control show nothing, and the run fail. */
const CACHE_FILL_SHA1 = 'db13879506248eb77ea549bcded36dbb443cbf8f';
const BLIND_FILL = `redis.call('SET', KEYS[1], 'c1|' .. ARGV[1] .. '|' .. ARGV[3], 'PX', ARGV[4])
return 1`;

/** The control's store: the fill script replaced by a blind write. */
function blind(node: RedisNode): RedisNode {
  return { ...node, evalsha: (sha, keys, args) => (sha === CACHE_FILL_SHA1 ? node.eval(BLIND_FILL, keys, args) : node.evalsha(sha, keys, args)) };
}

/** The stamp and logical expiry of a raw entry, or undefined. */
function headerOf(raw: string | null): { stamp: number; expiresAt: number } | undefined {
  const match = raw === null ? null : /^c1\|(\d+)\|(\d+)\|/.exec(raw);
  return match === null ? undefined : { stamp: Number(match[1]), expiresAt: Number(match[2]) };
}

async function main(): Promise<ContenderReport> {
  const lockClients = task.lockUrls.map((url) => {
    const client = connectUrl(url);
    client.options.retryStrategy = () => 5;
    return client;
  });
  await Promise.allSettled(lockClients.map((c) => c.connect()));
  const raw = connectUrl(task.lockUrls[0] ?? '');
  raw.options.retryStrategy = () => 5;
  await raw.connect().catch(() => undefined);
  const resource = new Redis(task.resourceUrl.startsWith('unix://') ? { path: task.resourceUrl.slice(7) } : {});
  const nodes = lockClients.map((c, i) => (i === 0 && task.blind ? blind(fromIoredis(c)) : fromIoredis(c)));
  const rs = new Redsync(nodes, { tries: 1 });
  const cache = rs.cache<number>({ ttl: task.cacheTtl, jitter: 0.2, earlyRefresh: 0, fillTimeout: 10_000, storeTimeout: 500, lock: { ttl: Math.round(task.ttl / 2) } });
  const loader = async (): Promise<number> => {
    tell({ holding: true });
    try {
      const version = await resource.incr(`${task.name}:version`);
      // At least half the work time: a pause aimed at a loader must find it still loading, though
      // the parent learns of the start over IPC, late on a loaded machine.
      await sleep(task.workMs * (0.5 + Math.random() / 2));
      return version;
    } finally {
      tell({ holding: false });
    }
  };
  const until = await startSignal();
  const newest = new Map<string, { stamp: number; expiresAt: number }>();
  const latencies: number[] = [];
  let [failed, regressions, gets] = [0, 0, 0];
  // Gets are mostly hits, far cheaper than an acquisition: the run's time bounds them, and a
  // pause between them keeps the hit loop from starving the other processes of CPU.
  while (monotonicMs() < until && gets < task.maxAcquisitions * 100) {
    await sleep(1);
    const key = `${task.name}:${String(Math.floor(Math.random() * KEYS))}`;
    const asked = monotonicMs();
    gets += 1;
    try {
      await cache.get(key, loader, { timeout: 5000 });
      latencies.push(monotonicMs() - asked);
    } catch {
      failed += 1;
    }
    // A regression: an entry seen earlier should still be there (its ttl has not run out), yet
    // the store now holds one whose fill began before it. An entry that expired and was filled
    // again by a late filler replaced nothing.
    const now = await raw.get(`cache:${key}`).catch(() => null);
    const header = headerOf(now);
    if (header === undefined) continue;
    const seen = newest.get(key);
    if (seen !== undefined && header.stamp < seen.stamp && Date.now() < seen.expiresAt - 5) regressions += 1;
    if (seen === undefined || header.stamp > seen.stamp) newest.set(key, header);
  }
  await rs.close();
  for (const c of [...lockClients, raw, resource]) c.disconnect();
  return { holds: [], failedAcquires: failed, acquireLatencies: latencies, stale: 0, staleUnaborted: 0, skippedWrites: 0, maxAbortLateness: 0, lost: 0, cache: { gets, regressions, fills: cache.stats().fills } };
}

runContender(main);
