import { hasMethods } from './validate.js';

/**
 * The seam: the only thing that talks to a Redis client. Taking a lock is a plain
 * `SET key value NX PX ttl` (go-redsync's own command, and the cheapest there is); everything else
 * is a Lua script. Adapters pass script replies through unchanged; `script.ts` normalises them.
 */
export interface RedisNode {
  /** `SET key value NX PX ttl`; resolves to the raw reply (`'OK'` when the key was set). */
  setNX(key: string, value: string, ttl: number): Promise<unknown>;
  /** `EVALSHA sha numkeys ...keys ...args`; rejects with the server's `NOSCRIPT` error when uncached. */
  evalsha(sha: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** `EVAL source numkeys ...keys ...args`; also caches the script on the server. */
  eval(source: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /**
   * Optional: opens a dedicated subscriber connection (a duplicate of the client) for release
   * notifications. Without it, waiters fall back to their retry delay. The connection is opened
   * lazily, by the first waiter, and closed by `Redsync.close()`. `onMessage` gets each message's
   * channel and payload. `onDown`, when the adapter can tell, is called when the connection drops
   * (its subscriptions are gone): waiters then poll at their retry delay until the feed is back.
   * After a reconnect the feed resubscribes and, once confirmed, calls `onMessage(channel, '')`
   * for each channel (a release may have been missed meanwhile).
   */
  listen?(onMessage: (channel: string, message: string) => void, onDown?: () => void): ReleaseFeed;
  /**
   * Optional: `INFO section`, the raw text reply. Read once per process (`INFO memory`) to warn
   * about a node that can evict lock keys; without it, that check is skipped.
   */
  info?(section: string): Promise<string>;
  /**
   * Optional: `GET key`; resolves to the string, or null when the key is missing. The cache's hit
   * path (`rs.cache`) uses it: one plain round trip. Without it, a read goes through a script.
   */
  get?(key: string): Promise<string | null>;
  /**
   * Optional: true when the node is a Redis Cluster client, whose scripts must keep their keys in
   * one hash slot. A multi-lock then takes its keys one slot after another (see multilock/).
   */
  readonly cluster?: boolean;
  /**
   * Optional: `WAIT replicas timeout` on the connection that wrote `key` (in a Cluster, the
   * key's master); resolves to the number of replicas that acknowledged. Needed only for the
   * `waitReplicas` option.
   */
  waitReplicas?(key: string, replicas: number, timeout: number): Promise<number>;
}

/** A subscriber connection to one node, opened by {@link RedisNode.listen}. */
export interface ReleaseFeed {
  /** Resolves once the server confirmed the subscription. */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** Closes the connection; never rejects. */
  close(): Promise<void>;
}

/** True when `value` has the shape of a {@link RedisNode}. */
export function isRedisNode(value: unknown): value is RedisNode {
  return hasMethods(value, ['setNX', 'evalsha', 'eval']);
}
