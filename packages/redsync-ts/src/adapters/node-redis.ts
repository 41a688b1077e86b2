import type { RedisNode } from '../node.js';
import { describeValue, hasMethods } from '../validate.js';
import { isNodeRedisSentinel, nodeRedisListen } from './node-redis-feed.js';

/** The script options node-redis takes for EVAL and EVALSHA. */
export interface NodeRedisEvalOptions {
  keys: string[];
  arguments: string[];
}

/**
 * The part of a node-redis client (`createClient()` or `createCluster()`, v4 and v5 API) that this
 * library uses. Typed structurally so the library never imports the driver.
 */
export interface NodeRedisClient {
  /** node-redis v4 option names, which v5 still accepts. */
  set(key: string, value: string, options: { PX: number; NX: true }): Promise<unknown>;
  evalSha(sha1: string, options: NodeRedisEvalOptions): Promise<unknown>;
  eval(script: string, options: NodeRedisEvalOptions): Promise<unknown>;
}

/**
 * Wraps a node-redis client as a {@link RedisNode}. The client stays yours: connect, configure and
 * close it yourself. For locks, prefer `disableOfflineQueue: true` so that a command sent while
 * disconnected fails at once instead of landing later. Waiters are woken by release notifications
 * over one extra connection per client, made with `client.duplicate()` when the first waiter needs
 * it and closed by `Redsync.close()`.
 * @throws TypeError when `client` lacks `evalSha`/`eval`.
 */
export function fromNodeRedis(client: NodeRedisClient): RedisNode {
  // Checked at run time too: JavaScript callers get no compile-time help.
  if (!hasMethods(client, ['set', 'evalSha', 'eval'])) {
    throw new TypeError(`fromNodeRedis(client) needs a node-redis client, got ${describeValue(client)}`);
  }
  const node: { -readonly [K in keyof RedisNode]: RedisNode[K] } = {
    setNX: (key, value, ttl) => client.set(key, value, { PX: ttl, NX: true }),
    evalsha: (sha, keys, args) => client.evalSha(sha, { keys: [...keys], arguments: [...args] }),
    eval: (source, keys, args) => client.eval(source, { keys: [...keys], arguments: [...args] }),
  };
  const info = (client as { info?: unknown }).info;
  if (typeof info === 'function') node.info = (section) => (info as (section: string) => Promise<string>).call(client, section);
  const get = (client as { get?: unknown }).get;
  if (typeof get === 'function') node.get = (key) => (get as (key: string) => Promise<string | null>).call(client, key);
  // Only node-redis's cluster client has `masters` (its list of master nodes).
  if (Array.isArray((client as { masters?: unknown }).masters)) node.cluster = true;
  const sendCommand = (client as { sendCommand?: unknown }).sendCommand;
  if (typeof sendCommand === 'function') {
    // A cluster's sendCommand takes the key that routes it (WAIT has none), a Sentinel client's
    // whether it may go to a replica, a plain client's only the words.
    const send = sendCommand as (...args: unknown[]) => Promise<unknown>;
    const sentinel = isNodeRedisSentinel(client);
    node.waitReplicas = async (key, replicas, timeout) => {
      const words = ['WAIT', String(replicas), String(timeout)];
      return Number(await (node.cluster === true ? send.call(client, key, false, words) : sentinel ? send.call(client, false, words) : send.call(client, words)));
    };
  }
  const listen = nodeRedisListen(client, node.cluster === true);
  return listen === undefined ? node : { ...node, listen };
}
