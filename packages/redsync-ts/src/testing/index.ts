/**
 * redsync-ts/testing: real `redis-server` processes for tests, yours and ours. Each server gets a
 * private unix socket in a fresh temporary directory (and optionally a free loopback port), and
 * every child is killed when the test process exits.
 *
 * @example
 * const servers = await startRedisServers(3);
 * // connect with ioredis: new Redis(servers[0].socket)
 * await servers[0].kill();          // crash one node
 * const proxy = await FaultProxy.start({ path: servers[1].socket }); // connect to proxy.port
 * proxy.latency(200, 50); proxy.blackhole(); proxy.reset(); proxy.heal();
 * await stopRedisServers(servers);
 */
import { RedisCluster, type RedisClusterOptions } from './redis-cluster.js';
import { RedisSentinel, type RedisSentinelOptions } from './redis-sentinel.js';
import { RedisServer, type RedisServerOptions } from './redis-server.js';

export { RedisServer, type RedisServerOptions };
export { FaultProxy, type ProxyTarget } from './fault-proxy.js';
export { RedisCluster, type ClusterAddress, type RedisClusterOptions } from './redis-cluster.js';
export { RedisSentinel, type RedisSentinelOptions, type SentinelAddress } from './redis-sentinel.js';

/** Starts one server. @throws Error with an install hint when `redis-server` is missing. */
export function startRedisServer(options?: RedisServerOptions): Promise<RedisServer> {
  return RedisServer.start(options);
}

/**
 * Starts `count` independent servers in parallel.
 * @throws RangeError when `count` is not a positive integer.
 */
export async function startRedisServers(count: number, options?: RedisServerOptions): Promise<RedisServer[]> {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${String(count)}`);
  const started = await Promise.allSettled(Array.from({ length: count }, () => RedisServer.start(options)));
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await stopRedisServers(servers);
    throw failure.reason;
  }
  return servers;
}

/**
 * Starts a Redis Cluster: `masters` masters (3 by default) with `replicasPerMaster` replicas each,
 * on free loopback ports, resolved once every node reports `cluster_state:ok`.
 * @throws RangeError for bad counts; Error when `redis-cli` is missing or the cluster never forms.
 */
export function startCluster(options?: RedisClusterOptions): Promise<RedisCluster> {
  return RedisCluster.start(options);
}

/**
 * Starts a Sentinel deployment: a master with `replicas` replicas (2 by default) watched by
 * `sentinels` sentinels (3), resolved once every sentinel sees every replica.
 * @throws RangeError for bad counts; Error when the deployment does not come up in time.
 */
export function startSentinel(options?: RedisSentinelOptions): Promise<RedisSentinel> {
  return RedisSentinel.start(options);
}

/** Stops the servers and removes their directories. */
export async function stopRedisServers(servers: readonly RedisServer[]): Promise<void> {
  await Promise.all(servers.map((server) => server.dispose()));
}
