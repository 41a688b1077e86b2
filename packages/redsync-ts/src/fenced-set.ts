import { companionKey } from './keys.js';
import { isRedisNode, type RedisNode } from './node.js';
import { runScript } from './script.js';
import { fencedSet as fencedSetScript } from './scripts/index.js';
import { checkName, describeValue } from './validate.js';

/**
 * The resource side of fencing, for data kept on Redis: `SET key value` only if `fence` is at
 * least the highest fencing token seen for `key`, remembering the token, atomically. A holder that
 * was paused past its ttl and writes after a newer holder has written is rejected. The highest
 * token lives in a companion key in the same hash slot (`{key}:fence-max`).
 * @returns true when written, false when rejected.
 * @throws TypeError or RangeError for an invalid node, key, value or fence (before any I/O).
 */
export function fencedSet(node: RedisNode, key: string, value: string, fence: number): Promise<boolean> {
  if (!isRedisNode(node)) return Promise.reject(new TypeError(`node must be a Redis node, got ${describeValue(node)}`));
  try {
    checkName('key', key, false);
    if (typeof value !== 'string') throw new TypeError(`value must be a string, got ${describeValue(value)}`);
    if (!Number.isSafeInteger(fence) || fence < 1) throw new RangeError(`fence must be a positive integer, got ${describeValue(fence)}`);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  return runScript(node, fencedSetScript, [key, companionKey(key, ':fence-max')], [String(fence), value]);
}
