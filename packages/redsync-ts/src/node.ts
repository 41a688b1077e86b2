import { hasMethods } from './validate.js';

/**
 * The seam: the only thing that talks to a Redis client. Every Redis operation of this library is
 * a Lua script, so an adapter needs just these two calls. Adapters pass replies through unchanged;
 * `script.ts` normalises them in one place.
 */
export interface RedisNode {
  /** `EVALSHA sha numkeys ...keys ...args`; rejects with the server's `NOSCRIPT` error when uncached. */
  evalsha(sha: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** `EVAL source numkeys ...keys ...args`; also caches the script on the server. */
  eval(source: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
}

/** True when `value` has the shape of a {@link RedisNode}. */
export function isRedisNode(value: unknown): value is RedisNode {
  return hasMethods(value, ['evalsha', 'eval']);
}
