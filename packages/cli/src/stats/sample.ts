/**
 * One sample of every node's INFO figures, and what changed since the previous sample: the hit
 * rate over the interval, evictions and expiries in it. Warnings are raised once per run.
 */
import type { Redis } from 'ioredis';
import { serverStatsOf, type ServerStats } from 'redsync-ts';
import { redactUrl } from '../connect.js';

export interface NodeSample {
  readonly node: string;
  readonly stats?: ServerStats;
  readonly error?: string;
  /** Over the interval since the previous sample (undefined on the first). */
  readonly interval?: { readonly seconds: number; readonly hitRate: number; readonly evicted: number; readonly expired: number };
}

export interface Sample {
  readonly at: string;
  readonly nodes: readonly NodeSample[];
  /** Over every reachable node. */
  readonly total: { readonly opsPerSecond: number; readonly hitRate: number; readonly intervalHitRate: number | undefined; readonly evicted: number; readonly keys: number };
}

/** Reads every node and computes the deltas against `previous`. */
export async function takeSample(clients: readonly Redis[], urls: readonly string[], previous: Sample | undefined): Promise<Sample> {
  const nodes = await Promise.all(
    clients.map(async (client, i): Promise<NodeSample> => {
      const node = redactUrl(urls[i] ?? '?');
      try {
        const stats = serverStatsOf(await client.info('default'));
        const before = previous?.nodes[i]?.stats;
        const seconds = previous === undefined ? 0 : (Date.now() - Date.parse(previous.at)) / 1000;
        if (before === undefined || seconds <= 0) return { node, stats };
        const hits = stats.keyspaceHits - before.keyspaceHits;
        const misses = stats.keyspaceMisses - before.keyspaceMisses;
        return { node, stats, interval: { seconds, hitRate: hits + misses > 0 ? hits / (hits + misses) : Number.NaN, evicted: stats.evictedKeys - before.evictedKeys, expired: stats.expiredKeys - before.expiredKeys } };
      } catch (error) {
        return { node, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  const up = nodes.flatMap((n) => (n.stats === undefined ? [] : [n]));
  const sum = (pick: (n: NodeSample & { stats: ServerStats }) => number): number => up.reduce((total, n) => total + pick(n as NodeSample & { stats: ServerStats }), 0);
  const hits = sum((n) => n.stats.keyspaceHits);
  const misses = sum((n) => n.stats.keyspaceMisses);
  const withInterval = previous === undefined ? undefined : totalIntervalRate(nodes, previous);
  return {
    at: new Date().toISOString(),
    nodes,
    total: { opsPerSecond: sum((n) => n.stats.opsPerSecond), hitRate: hits + misses > 0 ? hits / (hits + misses) : Number.NaN, intervalHitRate: withInterval, evicted: sum((n) => n.interval?.evicted ?? 0), keys: sum((n) => Object.values(n.stats.keys).reduce((a, b) => a + b, 0)) },
  };
}

function totalIntervalRate(nodes: readonly NodeSample[], previous: Sample): number | undefined {
  let [hits, misses] = [0, 0];
  nodes.forEach((n, i) => {
    const before = previous.nodes[i]?.stats;
    if (n.stats === undefined || before === undefined) return;
    hits += n.stats.keyspaceHits - before.keyspaceHits;
    misses += n.stats.keyspaceMisses - before.keyspaceMisses;
  });
  return hits + misses > 0 ? hits / (hits + misses) : undefined;
}

/** Plain-words warnings for this sample, each said once per run (`said` remembers). */
export function warningsFor(sample: Sample, said: Set<string>): string[] {
  const out: string[] = [];
  const once = (key: string, text: string): void => {
    if (said.has(key)) return;
    said.add(key);
    out.push(text);
  };
  for (const n of sample.nodes) {
    if (n.stats?.canEvict === true) once(`evict:${n.node}`, `${n.node} can evict keys (maxmemory ${String(n.stats.maxMemoryBytes)} bytes, policy ${n.stats.maxMemoryPolicy}): a held lock's key can be evicted and handed to a second client. Use noeviction on lock nodes.`);
    if ((n.interval?.evicted ?? 0) > 0) once(`evicted:${n.node}`, `${n.node} evicted ${String(n.interval?.evicted)} key(s) during the interval.`);
  }
  once('hit-rate', 'The hit rate counts every key lookup on the server: lock traffic moves it (a release script\'s GET is a hit, an attempt on a free key a miss). Read a cache\'s own counters (cache.stats()) for its hit rate.');
  return out;
}
