/**
 * The figures operators read from `INFO` (what `redsync stats` shows), parsed once here so that
 * services can put the same ones on their own health endpoints.
 */
import type { RedisNode } from './node.js';

/** One node's figures from `INFO`. Counters are totals since the server started. */
export interface ServerStats {
  readonly role: string;
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly connectedClients: number;
  readonly opsPerSecond: number;
  readonly keyspaceHits: number;
  readonly keyspaceMisses: number;
  /** hits / (hits + misses) since start; NaN before the first lookup. */
  readonly hitRate: number;
  readonly usedMemoryBytes: number;
  /** 0: no limit. */
  readonly maxMemoryBytes: number;
  readonly maxMemoryPolicy: string;
  readonly evictedKeys: number;
  readonly expiredKeys: number;
  /** Keys per database (`db0` -> count). */
  readonly keys: Readonly<Record<string, number>>;
  /** True when the node may evict keys, lock keys included: maxmemory set, policy not noeviction. */
  readonly canEvict: boolean;
}

/** The `field:value` lines of an INFO reply. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** The figures of a whole `INFO` (or `INFO everything`) reply. */
export function serverStatsOf(text: string): ServerStats {
  const f = parseInfo(text);
  const num = (name: string): number => Number(f.get(name) ?? Number.NaN);
  const hits = num('keyspace_hits');
  const misses = num('keyspace_misses');
  const keys: Record<string, number> = {};
  for (const [name, value] of f) if (/^db\d+$/.test(name)) keys[name] = Number(/keys=(\d+)/.exec(value)?.[1] ?? 0);
  const maxMemory = num('maxmemory');
  const policy = f.get('maxmemory_policy') ?? 'unknown';
  return {
    role: f.get('role') ?? 'unknown',
    version: f.get('redis_version') ?? f.get('valkey_version') ?? 'unknown',
    uptimeSeconds: num('uptime_in_seconds'),
    connectedClients: num('connected_clients'),
    opsPerSecond: num('instantaneous_ops_per_sec'),
    keyspaceHits: hits,
    keyspaceMisses: misses,
    hitRate: hits + misses > 0 ? hits / (hits + misses) : Number.NaN,
    usedMemoryBytes: num('used_memory'),
    maxMemoryBytes: maxMemory,
    maxMemoryPolicy: policy,
    evictedKeys: num('evicted_keys'),
    expiredKeys: num('expired_keys'),
    keys,
    canEvict: maxMemory > 0 && policy !== 'noeviction',
  };
}

/**
 * Reads `INFO default` from `node` (one round trip) and returns its figures.
 * @throws TypeError when the node's adapter has no `info` (a custom RedisNode without it).
 * @throws the client's error when the node cannot be reached or refuses INFO (an ACL).
 */
export async function readServerStats(node: RedisNode): Promise<ServerStats> {
  if (node.info === undefined) throw new TypeError('node has no info(): wrap the client with fromIoredis or fromNodeRedis');
  return serverStatsOf(await node.info('default'));
}
