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
}

/** True when `value` has the shape of a {@link RedisNode}. */
export function isRedisNode(value: unknown): value is RedisNode {
  return hasMethods(value, ['setNX', 'evalsha', 'eval']);
}
