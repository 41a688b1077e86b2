import type { RedisNode } from '../node.js';
import { describeValue, hasMethods } from '../validate.js';
import { ioredisListen } from './feeds.js';

/**
 * The part of an ioredis `Redis` or `Cluster` (v5, v6; also iovalkey) that this library uses.
 * Typed structurally so the library never imports the driver.
 */
export interface IoredisClient {
  set(key: string, value: string, px: 'PX', ttl: number, nx: 'NX'): Promise<unknown>;
  evalsha(sha1: string, numkeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numkeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/**
 * Wraps an ioredis client as a {@link RedisNode}. The client stays yours: connect, configure and
 * close it yourself. For locks, prefer settings that fail fast over ones that queue
 * (`enableOfflineQueue: false`, a small `maxRetriesPerRequest`): the library bounds every call by
 * its per-node timeout anyway, but a queued command can still land later. ioredis's `keyPrefix`
 * applies to lock keys too; do not combine it with the Redsync `prefix` unless you mean both.
 * Waiters are woken by release notifications over one extra connection per client, made with
 * `client.duplicate()` when the first waiter needs it and closed by `Redsync.close()`.
 * @throws TypeError when `client` lacks `evalsha`/`eval`.
 */
export function fromIoredis(client: IoredisClient): RedisNode {
  // Checked at run time too: JavaScript callers get no compile-time help.
  if (!hasMethods(client, ['set', 'evalsha', 'eval'])) {
    throw new TypeError(`fromIoredis(client) needs an ioredis client, got ${describeValue(client)}`);
  }
  const node: { -readonly [K in keyof RedisNode]: RedisNode[K] } = {
    setNX: (key, value, ttl) => client.set(key, value, 'PX', ttl, 'NX'),
    evalsha: (sha, keys, args) => (keys.length === 1 ? evalshaOneKey(client, sha, keys[0] as string, args) : client.evalsha(sha, keys.length, ...keys, ...args)),
    eval: (source, keys, args) => client.eval(source, keys.length, ...keys, ...args),
  };
  const info = (client as { info?: unknown }).info;
  if (typeof info === 'function') node.info = (section) => (info as (section: string) => Promise<string>).call(client, section);
  const get = (client as { get?: unknown }).get;
  if (typeof get === 'function') node.get = (key) => (get as (key: string) => Promise<string | null>).call(client, key);
  if ((client as { isCluster?: unknown }).isCluster === true) node.cluster = true;
  const waitReplicas = ioredisWait(client, node.cluster === true);
  if (waitReplicas !== undefined) node.waitReplicas = waitReplicas;
  const listen = ioredisListen(client);
  return listen === undefined ? node : { ...node, listen };
}

interface IoredisPipeline {
  pttl(key: string): IoredisPipeline;
  call(command: string, ...args: string[]): IoredisPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}

/**
 * WAIT on the connection that wrote the key. A Cluster sends a keyless command to any node, so
 * there WAIT rides in a pipeline behind a PTTL of the key: ioredis sends a pipeline to the key's
 * master, over the connection its SET used.
 */
function ioredisWait(client: object, cluster: boolean): RedisNode['waitReplicas'] {
  if (cluster) {
    const pipeline = (client as { pipeline?: unknown }).pipeline;
    if (typeof pipeline !== 'function') return undefined;
    return async (key, replicas, timeout) => {
      const results = await (pipeline as () => IoredisPipeline).call(client).pttl(key).call('WAIT', String(replicas), String(timeout)).exec();
      const [error, count] = results?.[1] ?? [new Error('WAIT got no reply'), 0];
      if (error !== null) throw error;
      return Number(count);
    };
  }
  const call = (client as { call?: unknown }).call;
  if (typeof call !== 'function') return undefined;
  return async (_key, replicas, timeout) => Number(await (call as (...args: string[]) => Promise<unknown>).call(client, 'WAIT', String(replicas), String(timeout)));
}

/** The hot scripts (release, extend, reclaim) have one key and one or two arguments: no spread. */
function evalshaOneKey(client: IoredisClient, sha: string, key: string, args: readonly string[]): Promise<unknown> {
  if (args.length === 1) return client.evalsha(sha, 1, key, args[0] as string);
  if (args.length === 2) return client.evalsha(sha, 1, key, args[0] as string, args[1] as string);
  return client.evalsha(sha, 1, key, ...args);
}
